// netd's dial module: a raw TCP tunnel into the cluster network over an HTTP Upgrade
// (`Upgrade: skiff-tcp`), so the agent reaches pod ports without dialing pod IPs from the host;
// port-forward rides on it.
import net from 'node:net';
import type { NetdModule } from '../server.ts';
import { dialError } from './probes.ts';

export const DIAL_PROTOCOL = 'skiff-tcp';

export function dialModule(): NetdModule {
  return {
    name: 'dial',
    upgrades: [
      {
        path: '/v1/dial',
        protocol: DIAL_PROTOCOL,
        handle: (_req, socket, head, url) => {
          const host = url.searchParams.get('ip') ?? '';
          const port = Number(url.searchParams.get('port'));
          if (!net.isIP(host) || !(port > 0 && port < 65536)) {
            socket.end(
              'HTTP/1.1 400 Bad Request\r\nConnection: close\r\nContent-Length: 0\r\n\r\n',
            );
            return;
          }
          const upstream = net.connect({ host, port });
          const onError = (err: NodeJS.ErrnoException) => {
            const text = dialError(host, port, err);
            socket.end(
              `HTTP/1.1 502 Bad Gateway\r\nConnection: close\r\nContent-Type: text/plain\r\nContent-Length: ${Buffer.byteLength(text)}\r\n\r\n${text}`,
            );
          };
          upstream.once('error', onError);
          upstream.once('connect', () => {
            upstream.off('error', onError);
            socket.write(
              `HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: ${DIAL_PROTOCOL}\r\n\r\n`,
            );
            if (head.length) upstream.write(head);
            socket.pipe(upstream);
            upstream.pipe(socket);
            const close = () => {
              socket.destroy();
              upstream.destroy();
            };
            socket.on('error', close);
            upstream.on('error', close);
            socket.on('close', () => upstream.destroy());
            upstream.on('close', () => socket.end());
          });
        },
      },
    ],
  };
}
