// Connection upgrades (WebSocket, SPDY) reaching the resource handlers: the server records the raw
// socket and the bytes read past the headers so the pods/exec|attach|portforward handlers can take
// the connection over, as kube-apiserver's UpgradeAwareHandler does.
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';

export interface UpgradedConnection {
  socket: Duplex;
  head: Buffer;
}

const upgrades = new WeakMap<IncomingMessage, UpgradedConnection>();

export function markUpgrade(req: IncomingMessage, connection: UpgradedConnection): void {
  upgrades.set(req, connection);
}

/** The connection to take over when this request asked for an upgrade, else undefined. */
export function upgradeOf(req: IncomingMessage): UpgradedConnection | undefined {
  return upgrades.get(req);
}

/** The subresources kube-apiserver authorizes as `create` even when the upgrade is a GET (KEP-4006). */
export const CONNECT_SUBRESOURCES = new Set(['exec', 'attach', 'portforward']);
