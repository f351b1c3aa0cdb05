// A UDP NodePort or LoadBalancer port on the host's loopback (Docker Desktop publishes UDP too):
// datagrams from each client address go through a tunnel of their own to the Service's
// ClusterIP (netd's dial-udp), and what comes back is sent to that address. A session ends after
// 90 s without a datagram either way, docker-proxy's UDP timeout.
import dgram from 'node:dgram';

/** Datagrams to one ip:port inside the cluster network (NetdClient.dialUdp's DatagramChannel). */
export interface DatagramTunnel {
  send(payload: Buffer): void;
  close(): void;
  on(event: 'message', listener: (payload: Buffer) => void): this;
  on(event: 'close', listener: () => void): this;
}

export type DialUdp = (ip: string, port: number) => Promise<DatagramTunnel>;

export interface UdpTarget {
  ip: string;
  port: number;
}

const SESSION_IDLE_MS = 90_000;
/** Datagrams held per client while its tunnel is being opened; later ones are dropped, as a full buffer would. */
const MAX_QUEUED = 64;

interface Session {
  tunnel?: DatagramTunnel;
  queue: Buffer[];
  timer: NodeJS.Timeout;
  ended: boolean;
}

export class UdpHostPort {
  private readonly sessions = new Map<string, Session>();

  private constructor(
    private readonly socket: dgram.Socket,
    /** Read at each new session: a changed Service port retargets new clients only, like TCP. */
    private readonly target: () => UdpTarget,
    private readonly dial: DialUdp,
    private readonly log: (line: string) => void,
  ) {
    socket.on('message', (payload, from) => this.receive(payload, from));
    socket.on('error', (err) => log(err.message));
  }

  /** Binds host:port; rejects as the bind fails (EADDRINUSE and the like). */
  static async bind(
    host: string,
    port: number,
    target: () => UdpTarget,
    dial: DialUdp,
    log: (line: string) => void,
  ): Promise<UdpHostPort> {
    const socket = dgram.createSocket(host.includes(':') ? 'udp6' : 'udp4');
    await new Promise<void>((resolve, reject) => {
      socket.once('error', reject);
      socket.bind({ address: host, port, exclusive: true }, () => {
        socket.off('error', reject);
        resolve();
      });
    });
    return new UdpHostPort(socket, target, dial, log);
  }

  /** Ends every session and closes the port. */
  close(): Promise<void> {
    for (const [client, session] of this.sessions) this.end(client, session);
    return new Promise((resolve) => this.socket.close(() => resolve()));
  }

  private receive(payload: Buffer, from: dgram.RemoteInfo): void {
    const client = `${from.address}|${from.port}`;
    let session = this.sessions.get(client);
    if (!session) session = this.open(client, from);
    session.timer.refresh();
    if (session.tunnel) session.tunnel.send(payload);
    else if (session.queue.length < MAX_QUEUED) session.queue.push(payload);
  }

  private open(client: string, from: dgram.RemoteInfo): Session {
    const session: Session = {
      queue: [],
      timer: setTimeout(() => this.end(client, session), SESSION_IDLE_MS),
      ended: false,
    };
    this.sessions.set(client, session);
    const { ip, port } = this.target();
    this.dial(ip, port).then(
      (tunnel) => {
        if (session.ended) return tunnel.close();
        session.tunnel = tunnel;
        tunnel.on('message', (reply) => {
          session.timer.refresh();
          this.socket.send(reply, from.port, from.address);
        });
        tunnel.on('close', () => this.end(client, session));
        for (const queued of session.queue.splice(0)) tunnel.send(queued);
      },
      (err: unknown) => {
        this.log(`${from.address}:${from.port} → ${ip}:${port}/UDP: ${(err as Error).message}`);
        this.end(client, session);
      },
    );
    return session;
  }

  private end(client: string, session: Session): void {
    if (session.ended) return;
    session.ended = true;
    clearTimeout(session.timer);
    session.queue.length = 0;
    if (this.sessions.get(client) === session) this.sessions.delete(client);
    session.tunnel?.close();
  }
}
