// The floor of watch delivery (bench/api.ts): a bare node:https server in its own process, as Skiff
// is, holding chunked watch streams and writing each updated object's event line to every one of
// them before it answers the PUT. No store, no fsync, no selectors: only what any Node HTTPS server
// fanning out the same bytes costs on this machine. Reads its certificates from SKIFF_FLOOR_TLS
// (JSON: cert, key, ca) and prints `port N` when it listens.
import type { ServerResponse } from 'node:http';
import https from 'node:https';

const tls = JSON.parse(process.env.SKIFF_FLOOR_TLS ?? '{}') as {
  cert: string;
  key: string;
  ca: string;
};
const objects = new Map<string, Record<string, unknown>>();
const watchers = new Set<ServerResponse>();
let revision = 0;

const server = https.createServer(
  { ...tls, requestCert: true, rejectUnauthorized: false },
  (req, res) => {
    const url = new URL(req.url ?? '/', 'https://floor');
    if (req.method === 'GET' && url.searchParams.get('watch') === 'true') {
      res.writeHead(200, { 'Content-Type': 'application/json', 'Transfer-Encoding': 'chunked' });
      res.flushHeaders();
      for (const object of objects.values())
        res.write(`${JSON.stringify({ type: 'ADDED', object })}\n`);
      watchers.add(res);
      res.on('close', () => watchers.delete(res));
      return;
    }
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const object = JSON.parse(Buffer.concat(chunks).toString('utf8')) as {
        metadata: { name: string; resourceVersion?: string };
      };
      object.metadata.resourceVersion = String(++revision);
      const text = JSON.stringify(object);
      objects.set(object.metadata.name, object);
      if (req.method === 'PUT') {
        const line = Buffer.from(`{"type":"MODIFIED","object":${text}}\n`);
        for (const watcher of watchers) watcher.write(line);
      }
      res.writeHead(req.method === 'POST' ? 201 : 200, { 'Content-Type': 'application/json' });
      res.end(text);
    });
  },
);
server.listen(0, '127.0.0.1', () => {
  process.stdout.write(`port ${(server.address() as { port: number }).port}\n`);
});
