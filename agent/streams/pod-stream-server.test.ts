import http from 'node:http';
import net from 'node:net';
import { Duplex, PassThrough, Transform } from 'node:stream';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import transport, { type SpdyConnection, type SpdyStream } from 'spdy-transport';
import type { KubeObject } from '../../main/api/types.ts';
import type { StreamKind } from '../../main/apiserver/subresources/register.ts';
import { PodStreamServer, type StreamRuntime } from './pod-stream-server.ts';
import type { RemoteProcess } from './remote-command.ts';

const pod: KubeObject = { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p', namespace: 'd' } };

let echo: net.Server;
let echoPort = 0;
let server: http.Server;
let base = '';
const resizes: unknown[] = [];

const runtime: StreamRuntime = {
  logs: () => Promise.reject(new Error('unused')),
  attach: () => Promise.reject(new Error('container not found ("c")')),
  exec: (_pod, _container, command) => {
    // A fake process: upper-cases stdin to stdout and exits with the code given as its argument.
    const stdin = new PassThrough();
    const stdout = stdin.pipe(
      new Transform({ transform: (c: Buffer, _e, done) => done(null, c.toString().toUpperCase()) }),
    );
    const done = new Promise<number>((resolve) =>
      stdout.on('end', () => resolve(Number(command[0]))),
    );
    const process: RemoteProcess = {
      stdin,
      stdout,
      resize: (s) => resizes.push(s),
      done,
      close: () => undefined,
    };
    return Promise.resolve(process);
  },
  portForward: () =>
    Promise.resolve({
      dial: (port: number) =>
        port === echoPort
          ? new Promise<Duplex>((resolve, reject) => {
              const socket = net.connect(echoPort, '127.0.0.1', () => resolve(socket));
              socket.once('error', reject);
            })
          : Promise.reject(new Error('connection refused')),
      describe: (port: number, err: Error) =>
        `error forwarding port ${port} to pod sandbox, uid : ${err.message}`,
    }),
};

beforeAll(async () => {
  echo = net.createServer((socket) => socket.pipe(socket));
  await new Promise<void>((resolve) => echo.listen(0, '127.0.0.1', resolve));
  echoPort = (echo.address() as AddressInfo).port;
  const streams = new PodStreamServer(runtime);
  server = http.createServer();
  server.on('upgrade', (req: http.IncomingMessage, socket: Duplex, head: Buffer) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const kind = url.pathname.split('/').pop() as StreamKind;
    const res = new http.ServerResponse(req);
    res.assignSocket(socket as net.Socket);
    streams
      .serve({
        kind,
        pod,
        container: 'c',
        url,
        user: { username: 'u', groups: [] },
        req,
        res,
        upgrade: { socket, head },
      })
      .catch((err: Error) => {
        res.writeHead(400);
        res.end(err.message);
      });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
  await new Promise((resolve) => echo.close(resolve));
});

function spdyClient(socket: Duplex): SpdyConnection {
  const conn = transport.connection.create(socket, { protocol: 'spdy', isServer: false });
  conn.on('error', () => undefined);
  conn.start(3);
  return conn;
}

function openStream(conn: SpdyConnection, headers: Record<string, string>): Promise<SpdyStream> {
  return new Promise((resolve, reject) =>
    conn.request({ method: 'POST', path: '/', headers }, (err, stream) =>
      err ? reject(err) : resolve(stream),
    ),
  );
}

function readAll(stream: Duplex): Promise<string> {
  return new Promise((resolve) => {
    let text = '';
    stream.on('data', (c: Buffer) => (text += c.toString()));
    stream.on('end', () => resolve(text));
  });
}

/** One forwarded connection as client-go makes it: an error stream, then a data stream. */
async function forwardOnce(conn: SpdyConnection, port: number, id: string, payload: string) {
  const error = await openStream(conn, { streamtype: 'error', port: String(port), requestid: id });
  error.end();
  const data = await openStream(conn, { streamtype: 'data', port: String(port), requestid: id });
  const errorText = readAll(error);
  const reply = new Promise<string>((resolve) => {
    let text = '';
    data.on('data', (c: Buffer) => {
      text += c.toString();
      if (text.length >= payload.length) resolve(text);
    });
    data.on('end', () => resolve(text));
  });
  data.write(payload);
  const received = await reply;
  data.end();
  return { received, error: port === echoPort ? '' : await errorText };
}

describe('port-forward', () => {
  it('answers a plain SPDY upgrade and forwards paired streams', async () => {
    const socket = net.connect(Number(base.split(':')[1]), '127.0.0.1');
    socket.write(
      'POST /api/v1/namespaces/d/pods/p/portforward HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\n' +
        'Upgrade: SPDY/3.1\r\nX-Stream-Protocol-Version: portforward.k8s.io\r\n\r\n',
    );
    const head = await new Promise<string>((resolve) => {
      let text = '';
      const onData = (c: Buffer) => {
        text += c.toString('latin1');
        if (text.includes('\r\n\r\n')) {
          socket.off('data', onData);
          socket.pause();
          resolve(text);
        }
      };
      socket.on('data', onData);
    });
    expect(head).toMatch(/^HTTP\/1\.1 101 /);
    expect(head).toContain('X-Stream-Protocol-Version: portforward.k8s.io');
    const conn = spdyClient(socket);
    const results = await Promise.all([
      forwardOnce(conn, echoPort, '0', 'first'),
      forwardOnce(conn, echoPort, '1', 'second'),
    ]);
    expect(results.map((r) => r.received)).toEqual(['first', 'second']);
    const refused = await forwardOnce(conn, 1, '2', 'x');
    expect(refused.error).toBe('error forwarding port 1 to pod sandbox, uid : connection refused');
    socket.destroy();
  });

  it('serves SPDY tunneled in a WebSocket (SPDY/3.1+portforward.k8s.io)', async () => {
    // The `ws` client refuses this subprotocol (not a token), as kubectl's gorilla client does not.
    const { socket, headers } = await new Promise<{
      socket: Duplex;
      headers: http.IncomingHttpHeaders;
    }>((resolve, reject) => {
      const req = http.request({
        host: '127.0.0.1',
        port: Number(base.split(':')[1]),
        path: '/api/v1/namespaces/d/pods/p/portforward',
        headers: {
          Connection: 'Upgrade',
          Upgrade: 'websocket',
          'Sec-WebSocket-Version': '13',
          'Sec-WebSocket-Key': 'dGhlIHNhbXBsZSBub25jZQ==',
          'Sec-WebSocket-Protocol': 'SPDY/3.1+portforward.k8s.io',
        },
      });
      req.on('upgrade', (res, sock, head) => {
        if (head.length) sock.unshift(head);
        resolve({ socket: sock, headers: res.headers });
      });
      req.on('error', reject);
      req.end();
    });
    expect(headers['sec-websocket-protocol']).toBe('SPDY/3.1+portforward.k8s.io');
    const conn = spdyClient(binaryMessages(socket));
    expect((await forwardOnce(conn, echoPort, '0', 'tunneled')).received).toBe('tunneled');
    socket.destroy();
  });
});

/** A client's view of a WebSocket as a byte stream: masked binary frames out, payloads in. */
function binaryMessages(socket: Duplex): Duplex {
  let pending = Buffer.alloc(0);
  const duplex = new Duplex({
    read() {},
    write(chunk: Buffer, _enc, done) {
      if (socket.destroyed) return done();
      const mask = Buffer.from([1, 2, 3, 4]);
      const size = chunk.length;
      const head =
        size < 126
          ? Buffer.from([0x82, 0x80 | size])
          : Buffer.from([0x82, 0x80 | 126, size >> 8, size & 0xff]);
      const body = Buffer.from(chunk.map((b, i) => b ^ mask[i % 4]));
      socket.write(Buffer.concat([head, mask, body]), done);
    },
  });
  socket.on('data', (chunk: Buffer) => {
    pending = Buffer.concat([pending, chunk]);
    for (;;) {
      if (pending.length < 2) return;
      let size = pending[1] & 0x7f;
      let offset = 2;
      if (size === 126) {
        if (pending.length < 4) return;
        size = pending.readUInt16BE(2);
        offset = 4;
      } else if (size === 127) {
        if (pending.length < 10) return;
        size = Number(pending.readBigUInt64BE(2));
        offset = 10;
      }
      if (pending.length < offset + size) return;
      if ((pending[0] & 0x0f) === 2) duplex.push(pending.subarray(offset, offset + size));
      pending = pending.subarray(offset + size);
    }
  });
  return duplex;
}

describe('legacy WebSocket port-forward (the JavaScript client)', () => {
  it('opens each port with its number, then carries data on channel 2i', async () => {
    const ws = new WebSocket(
      `ws://${base}/api/v1/namespaces/d/pods/p/portforward?ports=${echoPort}`,
      ['v4.channel.k8s.io'],
    );
    const frames: Buffer[] = [];
    const gotEcho = new Promise<void>((resolve) =>
      ws.on('message', (data: Buffer) => {
        frames.push(data);
        if (data[0] === 0 && data.subarray(1).toString() === 'abc') resolve();
      }),
    );
    await new Promise((resolve) => ws.once('open', resolve));
    ws.send(Buffer.from([0, ...Buffer.from('abc')]));
    await gotEcho;
    const portBytes = [echoPort & 0xff, echoPort >> 8];
    expect([...frames[0]]).toEqual([0, ...portBytes]);
    expect([...frames[1]]).toEqual([1, ...portBytes]);
    ws.terminate();
  });
});

describe('exec over v5.channel.k8s.io', () => {
  it('carries stdin to EOF, resize, output, then the exit status and a normal close', async () => {
    const ws = new WebSocket(
      `ws://${base}/api/v1/namespaces/d/pods/p/exec?command=3&stdin=true&stdout=true`,
      ['v5.channel.k8s.io'],
    );
    const frames: Buffer[] = [];
    ws.on('message', (data: Buffer) => frames.push(data));
    const closed = new Promise<number>((resolve) => ws.on('close', (code) => resolve(code)));
    await new Promise((resolve) => ws.once('open', resolve));
    expect(ws.protocol).toBe('v5.channel.k8s.io');
    ws.send(Buffer.from([4, ...Buffer.from('{"Width":100,"Height":40}')]));
    ws.send(Buffer.from([0, ...Buffer.from('hello')]));
    ws.send(Buffer.from([255, 0]));
    expect(await closed).toBe(1000);
    const out = frames
      .filter((f) => f[0] === 1)
      .map((f) => f.subarray(1).toString())
      .join('');
    expect(out).toBe('HELLO');
    const status = JSON.parse(
      frames
        .find((f) => f[0] === 3)!
        .subarray(1)
        .toString(),
    ) as Record<string, unknown>;
    expect(status).toMatchObject({
      status: 'Failure',
      reason: 'NonZeroExitCode',
      details: { causes: [{ message: '3' }] },
    });
    expect(resizes).toContainEqual({ width: 100, height: 40 });
  });

  it("reports the runtime's refusal on the status channel", async () => {
    const ws = new WebSocket(`ws://${base}/api/v1/namespaces/d/pods/p/attach?stdout=true`, [
      'v5.channel.k8s.io',
    ]);
    const frames: Buffer[] = [];
    ws.on('message', (data: Buffer) => frames.push(data));
    await new Promise<number>((resolve) => ws.on('close', (code) => resolve(code)));
    const status = JSON.parse(
      frames
        .find((f) => f[0] === 3)!
        .subarray(1)
        .toString(),
    ) as { message: string };
    expect(status.message).toBe(
      'Internal error occurred: unable to upgrade connection: container not found ("c")',
    );
  });
});
