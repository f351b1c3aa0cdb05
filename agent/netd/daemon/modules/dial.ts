// netd's dial module: a raw TCP tunnel into the cluster network over an HTTP Upgrade
// (`Upgrade: skiff-tcp`), so the agent reaches pod ports without dialing pod IPs from the host;
// port-forward and TCP NodePorts ride on it. `Upgrade: skiff-udp` carries datagrams to one
// ip:port the same way, each framed by its length, for UDP NodePorts.
import dgram from 'node:dgram';
import { EventEmitter } from 'node:events';
import net from 'node:net';
import type { Duplex } from 'node:stream';
import type { NetdModule } from '../server.ts';
import { dialError } from './probes.ts';

export const DIAL_PROTOCOL = 'skiff-tcp';
export const DIAL_UDP_PROTOCOL = 'skiff-udp';

/**
 * Datagrams over a byte stream: each one as a 2-byte big-endian length and its bytes. Emits
 * 'message' (Buffer) per datagram and 'close' once when the stream is gone.
 */
export class DatagramChannel extends EventEmitter {
  private pending: Buffer = Buffer.alloc(0);
  private closed = false;

  constructor(private readonly stream: Duplex) {
    super();
    stream.on('data', (chunk: Buffer) => this.read(chunk));
    stream.on('error', () => stream.destroy());
    // No half-close for datagrams: the other side's end is the end (upgraded sockets allow half-open).
    stream.once('end', () => this.close());
    stream.once('close', () => this.close());
  }

  send(payload: Buffer): void {
    if (this.closed || payload.length > 0xffff) return; // larger than any UDP datagram
    const length = Buffer.alloc(2);
    length.writeUInt16BE(payload.length);
    this.stream.cork();
    this.stream.write(length);
    this.stream.write(payload);
    this.stream.uncork();
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.stream.destroy();
    this.emit('close');
  }

  private read(chunk: Buffer): void {
    let data = this.pending.length ? Buffer.concat([this.pending, chunk]) : chunk;
    while (data.length >= 2) {
      const size = data.readUInt16BE(0);
      if (data.length < 2 + size) break;
      this.emit('message', data.subarray(2, 2 + size));
      data = data.subarray(2 + size);
    }
    this.pending = data;
  }
}

/** The tunnel could not be opened: Go's dial error text as the body. */
function badGateway(socket: Duplex, host: string, port: number, err: NodeJS.ErrnoException): void {
  const text = dialError(host, port, err);
  socket.end(
    `HTTP/1.1 502 Bad Gateway\r\nConnection: close\r\nContent-Type: text/plain\r\nContent-Length: ${Buffer.byteLength(text)}\r\n\r\n${text}`,
  );
}

function badTarget(socket: Duplex): void {
  socket.end('HTTP/1.1 400 Bad Request\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
}

/** The ip and port query parameters, or undefined when either is not valid. */
function target(url: URL): { host: string; port: number } | undefined {
  const host = url.searchParams.get('ip') ?? '';
  const port = Number(url.searchParams.get('port'));
  return net.isIP(host) && port > 0 && port < 65536 ? { host, port } : undefined;
}

export function dialModule(): NetdModule {
  return {
    name: 'dial',
    upgrades: [
      {
        path: '/v1/dial',
        protocol: DIAL_PROTOCOL,
        handle: (_req, socket, head, url) => {
          const to = target(url);
          if (!to) return badTarget(socket);
          const { host, port } = to;
          const upstream = net.connect({ host, port });
          const onError = (err: NodeJS.ErrnoException) => badGateway(socket, host, port, err);
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
      {
        path: '/v1/dial-udp',
        protocol: DIAL_UDP_PROTOCOL,
        handle: (_req, socket, head, url) => {
          const to = target(url);
          if (!to) return badTarget(socket);
          const udp = dgram.createSocket(net.isIPv6(to.host) ? 'udp6' : 'udp4');
          // Before connect: a bad target fails the upgrade; afterwards (an ICMP port unreachable
          // for one datagram) it is dropped, as UDP would.
          const onError = (err: NodeJS.ErrnoException) => {
            udp.close();
            badGateway(socket, to.host, to.port, err);
          };
          udp.once('error', onError);
          udp.connect(to.port, to.host, () => {
            udp.off('error', onError);
            udp.on('error', () => undefined);
            socket.write(
              `HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: ${DIAL_UDP_PROTOCOL}\r\n\r\n`,
            );
            if (head.length) socket.unshift(head);
            const channel = new DatagramChannel(socket);
            channel.on('message', (payload: Buffer) => udp.send(payload));
            udp.on('message', (payload) => channel.send(payload));
            channel.once('close', () => udp.close());
          });
        },
      },
    ],
  };
}
