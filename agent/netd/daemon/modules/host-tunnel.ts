// netd's end of the host tunnel: the agent keeps a few idle upgraded connections parked here, and
// a pod's connection to the `kubernetes` Service takes one, so pods reach the API server on the
// host although nothing in the cluster network can dial the host (the wire contract: config.ts).
import net from 'node:net';
import type { Duplex } from 'node:stream';
import { HOST_TUNNEL_GO, HOST_TUNNEL_PROTOCOL } from '../config.ts';
import type { NetdModule } from '../server.ts';

export const HOST_TUNNEL_PATH = '/v1/host-tunnel';

/** How long take() waits for the agent to park a tunnel when none is idle. */
const DEFAULT_TAKE_TIMEOUT_MS = 5_000;

export type HostTunnelModule = NetdModule & {
  /** An idle tunnel, told to dial the host; rejects when none arrives within timeoutMs. */
  take(timeoutMs?: number): Promise<Duplex>;
  /** How many tunnels are parked idle now. */
  readonly idle: number;
};

const ignore = (): void => {};

interface Parked {
  socket: Duplex;
  /** Detaches the parking listeners so the taker gets the socket untouched. */
  release(): void;
}

interface Waiter {
  resolve(socket: Duplex): void;
  reject(err: Error): void;
  timer: NodeJS.Timeout;
}

export function hostTunnelModule(): HostTunnelModule {
  const idle: Parked[] = [];
  const waiters: Waiter[] = [];
  let stopped = false;

  const go = (parked: Parked): Duplex => {
    parked.release();
    // An error before the taker attaches its own handler must not crash netd.
    parked.socket.on('error', ignore);
    // Paused so that the taker's pipe() decides when bytes flow; the byte tells the agent to dial.
    parked.socket.pause();
    parked.socket.write(Buffer.from([HOST_TUNNEL_GO]));
    return parked.socket;
  };

  const park = (socket: Duplex): void => {
    const parked: Parked = {
      socket,
      release: () => {
        socket.off('data', onData);
        socket.off('end', drop);
        socket.off('close', drop);
        socket.off('error', drop);
      },
    };
    function drop(): void {
      const at = idle.indexOf(parked);
      if (at >= 0) idle.splice(at, 1);
      parked.release();
      socket.destroy();
    }
    // The agent sends nothing before the go byte: anything else is a broken peer.
    function onData(): void {
      drop();
    }
    // Reading while parked is what notices the agent going away (its FIN or reset).
    socket.on('data', onData);
    socket.on('end', drop);
    socket.on('close', drop);
    socket.on('error', drop);
    const waiter = waiters.shift();
    if (waiter) {
      clearTimeout(waiter.timer);
      waiter.resolve(go(parked));
    } else idle.push(parked);
  };

  return {
    name: 'host-tunnel',
    get idle() {
      return idle.length;
    },
    upgrades: [
      {
        path: HOST_TUNNEL_PATH,
        protocol: HOST_TUNNEL_PROTOCOL,
        handle: (_req, socket, head) => {
          if (stopped || head.length) {
            socket.destroy();
            return;
          }
          // Notices an agent that vanished without closing (a host asleep, a dropped NAT entry).
          if (socket instanceof net.Socket) socket.setKeepAlive(true, 30_000);
          socket.write(
            `HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: ${HOST_TUNNEL_PROTOCOL}\r\n\r\n`,
          );
          park(socket);
        },
      },
    ],
    take(timeoutMs = DEFAULT_TAKE_TIMEOUT_MS) {
      if (stopped) return Promise.reject(new Error('netd is stopping'));
      const parked = idle.shift();
      if (parked) return Promise.resolve(go(parked));
      return new Promise((resolve, reject) => {
        const waiter: Waiter = {
          resolve,
          reject,
          timer: setTimeout(() => {
            const at = waiters.indexOf(waiter);
            if (at >= 0) waiters.splice(at, 1);
            reject(new Error(`no host tunnel from the agent within ${timeoutMs} ms`));
          }, timeoutMs),
        };
        waiters.push(waiter);
      });
    },
    stop() {
      stopped = true;
      for (const parked of idle.splice(0)) {
        parked.release();
        parked.socket.destroy();
      }
      for (const waiter of waiters.splice(0)) {
        clearTimeout(waiter.timer);
        waiter.reject(new Error('netd is stopping'));
      }
    },
  };
}
