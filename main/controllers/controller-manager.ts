// kube-controller-manager's role: every controller in one place, sharing informers, each an API
// client with its own identity, started after the API server is ready and stopped before it.
import type { LocalClient } from '../client/local-client.ts';
import type { InformerFactory } from '../client/informer.ts';

/** What every controller gets: a client (its own identity) and the shared informers. */
export interface ControllerContext {
  client: LocalClient;
  informers: InformerFactory;
  log: (line: string) => void;
}

/** A supervised component (STYLE.md): start, then stop; stop leaves no timers or watches. */
export interface Controller {
  readonly name: string;
  start(): void;
  stop(): Promise<void>;
}

export type ControllerFactory = (context: ControllerContext) => Controller;

export class ControllerManager {
  private readonly controllers: Controller[] = [];

  constructor(
    private readonly informers: InformerFactory,
    factories: { name: string; create: ControllerFactory }[],
    contextFor: (name: string) => ControllerContext,
  ) {
    for (const { name, create } of factories) this.controllers.push(create(contextFor(name)));
  }

  /** Controllers register their informer handlers first; then the informers list and watch. */
  start(): void {
    for (const controller of this.controllers) controller.start();
    this.informers.start();
  }

  async stop(): Promise<void> {
    this.informers.stop();
    await Promise.all(this.controllers.map((c) => c.stop()));
  }
}
