import dgram from 'node:dgram';
import fs from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import type { AddressInfo } from 'node:net';
import dnsPacket from 'dns-packet';
import type { Answer, DecodedPacket, Packet, RecordType } from 'dns-packet';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { DnsConfig } from '../config.ts';
import { createControlServer, type ControlServer } from '../server.ts';
import {
  dnsModule,
  parseDnsConfig,
  parseUpstream,
  resolvConfUpstreams,
  type DnsModule,
} from './dns.ts';

const HOST = '127.0.0.1';
const TOKEN = 'dns-test-token';

interface Reply extends DecodedPacket {
  rcode: string;
}

function encodeQuery(
  name: string,
  type: RecordType | 'ANY',
  opts: { id?: number; edns?: number } = {},
): Buffer {
  const packet: Packet = {
    type: 'query',
    id: opts.id ?? Math.floor(Math.random() * 65536),
    flags: dnsPacket.RECURSION_DESIRED,
    questions: [{ name, type: type as RecordType, class: 'IN' }],
  };
  if (opts.edns)
    packet.additionals = [
      {
        type: 'OPT',
        name: '.',
        udpPayloadSize: opts.edns,
        extendedRcode: 0,
        ednsVersion: 0,
        flags: 0,
        flag_do: false,
        options: [],
      },
    ];
  return dnsPacket.encode(packet);
}

function udpExchange(port: number, message: Buffer, timeoutMs = 3000): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const socket = dgram.createSocket('udp4');
    const timer = setTimeout(() => {
      socket.close();
      reject(new Error('no UDP reply'));
    }, timeoutMs);
    socket.on('message', (msg) => {
      clearTimeout(timer);
      socket.close();
      resolve(msg);
    });
    socket.send(message, port, HOST);
  });
}

function tcpExchange(port: number, message: Buffer): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host: HOST, port });
    let buffered = Buffer.alloc(0);
    socket.on('connect', () => {
      const head = Buffer.alloc(2);
      head.writeUInt16BE(message.length);
      socket.write(Buffer.concat([head, message]));
    });
    socket.on('data', (chunk: Buffer) => {
      buffered = Buffer.concat([buffered, chunk]);
      if (buffered.length >= 2 && buffered.length >= 2 + buffered.readUInt16BE(0)) {
        socket.destroy();
        resolve(buffered.subarray(2, 2 + buffered.readUInt16BE(0)));
      }
    });
    socket.on('error', reject);
  });
}

async function ask(
  port: number,
  name: string,
  type: RecordType | 'ANY',
  opts: { id?: number; edns?: number; tcp?: boolean } = {},
): Promise<Reply & { size: number }> {
  const query = encodeQuery(name, type, opts);
  const raw = opts.tcp ? await tcpExchange(port, query) : await udpExchange(port, query);
  return Object.assign(dnsPacket.decode(raw) as Reply, { size: raw.length });
}

const data = (answers: Answer[] | undefined, type: string) =>
  (answers ?? []).filter((a) => a.type === type).map((a) => ('data' in a ? a.data : undefined));

/** A resolver standing in for Docker's: answers a few names over UDP and TCP, never `silent.test`. */
class FakeUpstream {
  udp = dgram.createSocket('udp4');
  tcp = net.createServer((socket) => this.onTcp(socket));
  port = 0;
  seen: { name: string; type: string; id: number; transport: string }[] = [];

  async start(): Promise<void> {
    await new Promise<void>((resolve) => this.tcp.listen(0, HOST, resolve));
    this.port = (this.tcp.address() as AddressInfo).port;
    await new Promise<void>((resolve) => this.udp.bind(this.port, HOST, resolve));
    this.udp.on('message', (msg, remote) => {
      const reply = this.answer(msg, 'udp');
      if (reply) this.udp.send(reply, remote.port, remote.address);
    });
  }

  private onTcp(socket: net.Socket): void {
    let buffered = Buffer.alloc(0);
    socket.on('data', (chunk: Buffer) => {
      buffered = Buffer.concat([buffered, chunk]);
      if (buffered.length < 2 || buffered.length < 2 + buffered.readUInt16BE(0)) return;
      const reply = this.answer(buffered.subarray(2, 2 + buffered.readUInt16BE(0)), 'tcp');
      if (!reply) return;
      const head = Buffer.alloc(2);
      head.writeUInt16BE(reply.length);
      socket.end(Buffer.concat([head, reply]));
    });
    socket.on('error', () => socket.destroy());
  }

  private answer(msg: Buffer, transport: string): Buffer | undefined {
    const query = dnsPacket.decode(msg);
    const question = query.questions![0];
    this.seen.push({ name: question.name, type: question.type, id: query.id!, transport });
    if (question.name === 'silent.test') return undefined;
    const answers: Answer[] = [];
    if (question.name === 'www.example.com' && question.type === 'A')
      answers.push({ type: 'A', name: question.name, ttl: 300, data: '192.0.2.53' });
    if (question.name === '1.2.0.192.in-addr.arpa' && question.type === 'PTR')
      answers.push({ type: 'PTR', name: question.name, ttl: 300, data: 'host.example.com' });
    return dnsPacket.encode({
      type: 'response',
      id: query.id,
      flags: dnsPacket.RECURSION_AVAILABLE | (answers.length ? 0 : 3), // NXDOMAIN when unknown
      questions: query.questions,
      answers,
    });
  }

  async stop(): Promise<void> {
    await new Promise<void>((resolve) => this.tcp.close(() => resolve()));
    await new Promise<void>((resolve) => this.udp.close(() => resolve()));
  }
}

const HEADLESS_IPS = Array.from({ length: 40 }, (_, i) => `10.244.1.${i + 10}`);

function config(upstream: string[]): DnsConfig {
  return {
    domain: 'cluster.local',
    ttl: 5,
    upstream,
    records: {
      'web.default.svc.cluster.local': {
        a: ['10.96.0.20'],
        srv: [{ priority: 0, weight: 100, port: 80, target: 'web.default.svc.cluster.local' }],
      },
      '_http._tcp.web.default.svc.cluster.local': {
        srv: [{ priority: 0, weight: 100, port: 80, target: 'web.default.svc.cluster.local' }],
      },
      'db.default.svc.cluster.local': { a: ['10.244.0.5', '10.244.0.6'] },
      'db-0.db.default.svc.cluster.local': { a: ['10.244.0.5'] },
      'db-1.db.default.svc.cluster.local': { a: ['10.244.0.6'] },
      '_pg._tcp.db.default.svc.cluster.local': {
        srv: [
          { priority: 0, weight: 50, port: 5432, target: 'db-0.db.default.svc.cluster.local' },
          { priority: 0, weight: 50, port: 5432, target: 'db-1.db.default.svc.cluster.local' },
        ],
      },
      'ext.default.svc.cluster.local': { cname: 'www.example.com' },
      'alias.default.svc.cluster.local': { cname: 'web.default.svc.cluster.local' },
      'dangling.default.svc.cluster.local': { cname: 'gone.default.svc.cluster.local' },
      'big.default.svc.cluster.local': { a: HEADLESS_IPS },
      '20.0.96.10.in-addr.arpa': { ptr: ['web.default.svc.cluster.local'] },
      '5.0.244.10.in-addr.arpa': { ptr: ['db-0.db.default.svc.cluster.local'] },
    },
  };
}

describe('dnsModule', () => {
  let dns: DnsModule;
  let upstream: FakeUpstream;
  let port = 0;

  beforeAll(async () => {
    upstream = new FakeUpstream();
    await upstream.start();
    dns = dnsModule({ port: 0, addresses: [HOST], forwardTimeoutMs: 400 });
    await dns.start!();
    port = dns.port;
  });

  afterAll(async () => {
    await dns.stop!();
    await upstream.stop();
  });

  beforeEach(() => {
    dns.apply(config([`${HOST}:${upstream.port}`]));
    upstream.seen = [];
  });

  it('listens on one port for UDP and TCP', () => {
    expect(port).toBeGreaterThan(0);
  });

  it('answers a Service A record case-insensitively, authoritatively, with the TTL', async () => {
    for (const tcp of [false, true]) {
      const reply = await ask(port, 'WEB.Default.svc.cluster.local', 'A', { id: 4242, tcp });
      expect(reply.id).toBe(4242);
      expect(reply.rcode).toBe('NOERROR');
      expect(reply.flag_aa).toBe(true);
      expect(reply.flag_rd).toBe(true);
      expect(reply.answers).toEqual([
        expect.objectContaining({
          type: 'A',
          name: 'WEB.Default.svc.cluster.local',
          ttl: 5,
          data: '10.96.0.20',
        }),
      ]);
    }
    expect(upstream.seen).toEqual([]);
  });

  it('answers every IP of a headless Service and its pods by hostname', async () => {
    expect(
      data((await ask(port, 'db.default.svc.cluster.local', 'A')).answers, 'A').sort(),
    ).toEqual(['10.244.0.5', '10.244.0.6']);
    expect(data((await ask(port, 'db-1.db.default.svc.cluster.local', 'A')).answers, 'A')).toEqual([
      '10.244.0.6',
    ]);
  });

  it('answers NXDOMAIN at once for unknown cluster names, with aa and the zone SOA', async () => {
    const reply = await ask(port, 'nope.default.svc.cluster.local', 'A');
    expect(reply.rcode).toBe('NXDOMAIN');
    expect(reply.flag_aa).toBe(true);
    expect(reply.answers).toEqual([]);
    expect(reply.authorities).toEqual([
      expect.objectContaining({
        type: 'SOA',
        name: 'cluster.local',
        data: expect.objectContaining({
          mname: 'ns.dns.cluster.local',
          rname: 'hostmaster.cluster.local',
          minimum: 5,
        }) as unknown,
      }),
    ]);
    expect(upstream.seen).toEqual([]);
  });

  it('answers NODATA for a known name without the asked type and for parents of names', async () => {
    for (const [name, type] of [
      ['web.default.svc.cluster.local', 'AAAA'],
      ['web.default.svc.cluster.local', 'MX'],
      ['default.svc.cluster.local', 'A'],
      ['svc.cluster.local', 'A'],
      ['cluster.local', 'A'],
    ] as const) {
      const reply = await ask(port, name, type);
      expect(reply.rcode, `${name} ${type}`).toBe('NOERROR');
      expect(reply.answers, `${name} ${type}`).toEqual([]);
      expect(reply.authorities?.[0]?.type).toBe('SOA');
    }
    const soa = await ask(port, 'cluster.local', 'SOA');
    expect(soa.answers?.[0]).toMatchObject({ type: 'SOA', name: 'cluster.local' });
  });

  it('answers SRV with the targets A records in the additional section', async () => {
    const reply = await ask(port, '_pg._tcp.db.default.svc.cluster.local', 'SRV');
    expect(data(reply.answers, 'SRV')).toEqual([
      { priority: 0, weight: 50, port: 5432, target: 'db-0.db.default.svc.cluster.local' },
      { priority: 0, weight: 50, port: 5432, target: 'db-1.db.default.svc.cluster.local' },
    ]);
    expect(
      (reply.additionals ?? [])
        .filter((a) => a.type === 'A')
        .map((a) => [a.name, 'data' in a && a.data]),
    ).toEqual([
      ['db-0.db.default.svc.cluster.local', '10.244.0.5'],
      ['db-1.db.default.svc.cluster.local', '10.244.0.6'],
    ]);
    const clusterIp = await ask(port, '_http._tcp.web.default.svc.cluster.local', 'SRV');
    expect(data(clusterIp.answers, 'SRV')).toEqual([
      { priority: 0, weight: 100, port: 80, target: 'web.default.svc.cluster.local' },
    ]);
    expect(data(clusterIp.additionals, 'A')).toEqual(['10.96.0.20']);
  });

  it('answers a CNAME for any type and follows it inside the records', async () => {
    const reply = await ask(port, 'alias.default.svc.cluster.local', 'A');
    expect(reply.answers?.map((a) => [a.type, a.name, 'data' in a && a.data])).toEqual([
      ['CNAME', 'alias.default.svc.cluster.local', 'web.default.svc.cluster.local'],
      ['A', 'web.default.svc.cluster.local', '10.96.0.20'],
    ]);
    const onlyCname = await ask(port, 'alias.default.svc.cluster.local', 'CNAME');
    expect(onlyCname.answers?.map((a) => a.type)).toEqual(['CNAME']);
    // The target's records without the asked type: the CNAME alone.
    const aaaa = await ask(port, 'alias.default.svc.cluster.local', 'AAAA');
    expect(aaaa.answers?.map((a) => a.type)).toEqual(['CNAME']);
    const dangling = await ask(port, 'dangling.default.svc.cluster.local', 'A');
    expect(dangling.answers?.map((a) => a.type)).toEqual(['CNAME']);
    expect(upstream.seen).toEqual([]);
  });

  it('resolves an ExternalName target upstream and appends its answers', async () => {
    for (const tcp of [false, true]) {
      upstream.seen = [];
      const reply = await ask(port, 'ext.default.svc.cluster.local', 'A', { tcp });
      expect(reply.rcode).toBe('NOERROR');
      expect(reply.answers?.map((a) => [a.type, a.name, 'data' in a && a.data])).toEqual([
        ['CNAME', 'ext.default.svc.cluster.local', 'www.example.com'],
        ['A', 'www.example.com', '192.0.2.53'],
      ]);
      expect(upstream.seen).toEqual([
        expect.objectContaining({
          name: 'www.example.com',
          type: 'A',
          transport: tcp ? 'tcp' : 'udp',
        }),
      ]);
    }
  });

  it('answers pod A records from the dashed IP (pods insecure)', async () => {
    const reply = await ask(port, '10-244-3-7.any-ns.pod.cluster.local', 'A');
    expect(reply.rcode).toBe('NOERROR');
    expect(data(reply.answers, 'A')).toEqual(['10.244.3.7']);
    expect((await ask(port, '10-244-3-300.any-ns.pod.cluster.local', 'A')).rcode).toBe('NXDOMAIN');
    expect((await ask(port, 'a.b.c.pod.cluster.local', 'A')).rcode).toBe('NXDOMAIN');
    const aaaa = await ask(port, '10-244-3-7.any-ns.pod.cluster.local', 'AAAA');
    expect([aaaa.rcode, aaaa.answers]).toEqual(['NOERROR', []]);
  });

  it('answers PTR from the records and forwards other reverse lookups', async () => {
    const reply = await ask(port, '20.0.96.10.in-addr.arpa', 'PTR');
    expect(reply.flag_aa).toBe(true);
    expect(data(reply.answers, 'PTR')).toEqual(['web.default.svc.cluster.local']);
    expect(upstream.seen).toEqual([]);
    const other = await ask(port, '1.2.0.192.in-addr.arpa', 'PTR');
    expect(data(other.answers, 'PTR')).toEqual(['host.example.com']);
    expect(upstream.seen.map((s) => s.name)).toEqual(['1.2.0.192.in-addr.arpa']);
  });

  it('forwards other names with the client id, over the client transport', async () => {
    const udp = await ask(port, 'www.example.com', 'A', { id: 777 });
    expect(udp.id).toBe(777);
    expect(udp.flag_aa).toBe(false);
    expect(data(udp.answers, 'A')).toEqual(['192.0.2.53']);
    const tcp = await ask(port, 'www.example.com', 'A', { id: 778, tcp: true });
    expect(tcp.id).toBe(778);
    expect(data(tcp.answers, 'A')).toEqual(['192.0.2.53']);
    expect(upstream.seen).toEqual([
      { name: 'www.example.com', type: 'A', id: 777, transport: 'udp' },
      { name: 'www.example.com', type: 'A', id: 778, transport: 'tcp' },
    ]);
    // The upstream's own answer passes through, NXDOMAIN included.
    expect((await ask(port, 'unknown.example.com', 'A')).rcode).toBe('NXDOMAIN');
  });

  it('answers SERVFAIL when the upstream stays silent', async () => {
    const started = Date.now();
    const reply = await ask(port, 'silent.test', 'A', { id: 99 });
    expect(reply.id).toBe(99);
    expect(reply.rcode).toBe('SERVFAIL');
    expect(Date.now() - started).toBeGreaterThanOrEqual(350);
    expect(upstream.seen.map((s) => s.name)).toEqual(['silent.test']);
  });

  it('truncates UDP answers over 512 bytes unless EDNS allows more', async () => {
    const plain = await ask(port, 'big.default.svc.cluster.local', 'A');
    expect(plain.flag_tc).toBe(true);
    expect(plain.size).toBeLessThanOrEqual(512);
    expect(plain.answers!.length).toBeGreaterThan(0);
    expect(plain.answers!.length).toBeLessThan(40);
    const edns = await ask(port, 'big.default.svc.cluster.local', 'A', { edns: 4096 });
    expect(edns.flag_tc).toBe(false);
    expect(edns.answers).toHaveLength(40);
    expect(edns.additionals?.some((a) => a.type === 'OPT')).toBe(true);
    const tcp = await ask(port, 'big.default.svc.cluster.local', 'A', { tcp: true });
    expect(tcp.flag_tc).toBe(false);
    expect(data(tcp.answers, 'A').sort()).toEqual([...HEADLESS_IPS].sort());
  });

  it('answers ANY with every record of the name', async () => {
    const reply = await ask(port, 'web.default.svc.cluster.local', 'ANY');
    expect(reply.answers?.map((a) => a.type).sort()).toEqual(['A', 'SRV']);
  });

  it('answers several queries pipelined on one TCP connection', async () => {
    const queries = [
      encodeQuery('web.default.svc.cluster.local', 'A', { id: 1 }),
      encodeQuery('nope.default.svc.cluster.local', 'A', { id: 2 }),
      encodeQuery('www.example.com', 'A', { id: 3 }),
    ];
    const replies = await new Promise<Reply[]>((resolve, reject) => {
      const socket = net.connect({ host: HOST, port });
      const out: Reply[] = [];
      let buffered = Buffer.alloc(0);
      socket.on('connect', () => {
        socket.write(
          Buffer.concat(
            queries.flatMap((q) => {
              const head = Buffer.alloc(2);
              head.writeUInt16BE(q.length);
              return [head, q];
            }),
          ),
        );
      });
      socket.on('data', (chunk: Buffer) => {
        buffered = Buffer.concat([buffered, chunk]);
        while (buffered.length >= 2 && buffered.length >= 2 + buffered.readUInt16BE(0)) {
          const length = buffered.readUInt16BE(0);
          out.push(dnsPacket.decode(buffered.subarray(2, 2 + length)) as Reply);
          buffered = buffered.subarray(2 + length);
        }
        if (out.length === queries.length) {
          socket.destroy();
          resolve(out);
        }
      });
      socket.on('error', reject);
    });
    const byId = new Map(replies.map((r) => [r.id, r]));
    expect(data(byId.get(1)?.answers, 'A')).toEqual(['10.96.0.20']);
    expect(byId.get(2)?.rcode).toBe('NXDOMAIN');
    expect(data(byId.get(3)?.answers, 'A')).toEqual(['192.0.2.53']);
  });

  it('serves the schema version record', async () => {
    const reply = await ask(port, 'dns-version.cluster.local', 'TXT');
    expect(reply.answers?.[0]).toMatchObject({ type: 'TXT' });
    expect(String((reply.answers?.[0] as { data: Buffer[] }).data[0])).toBe('1.1.0');
  });

  it('answers FORMERR to garbage and ignores responses', async () => {
    const garbage = Buffer.from([0x12, 0x34, 0x01, 0x00, 0x00, 0x01, 0, 0, 0, 0, 0, 0, 0xff]);
    const reply = dnsPacket.decode(await udpExchange(port, garbage)) as Reply;
    expect([reply.id, reply.rcode]).toEqual([0x1234, 'FORMERR']);
    const response = dnsPacket.encode({
      type: 'response',
      id: 1,
      questions: [{ type: 'A', name: 'x' }],
    });
    await expect(udpExchange(port, response, 300)).rejects.toThrow('no UDP reply');
  });

  it('applies a new document as a whole', async () => {
    dns.apply({
      domain: 'cluster.local',
      ttl: 30,
      records: { 'new.ns.svc.cluster.local': { a: ['10.96.0.99'] } },
    });
    expect((await ask(port, 'web.default.svc.cluster.local', 'A')).rcode).toBe('NXDOMAIN');
    const reply = await ask(port, 'new.ns.svc.cluster.local', 'A');
    expect(reply.answers).toEqual([expect.objectContaining({ data: '10.96.0.99', ttl: 30 })]);
  });
});

describe('dnsModule before any document and with resolv.conf upstreams', () => {
  it('answers SERVFAIL until the first document, then forwards to the resolv.conf servers', async () => {
    const upstream = new FakeUpstream();
    await upstream.start();
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'skiff-dns-'));
    const resolvConfPath = path.join(dir, 'resolv.conf');
    fs.writeFileSync(
      resolvConfPath,
      `# test\nnameserver ${HOST}:${upstream.port}\noptions ndots:0\n`,
    );
    const lines: string[] = [];
    const dns = dnsModule({
      port: 0,
      addresses: [HOST],
      resolvConfPath,
      log: (l) => lines.push(l),
    });
    await dns.start!();
    try {
      expect((await ask(dns.port, 'web.default.svc.cluster.local', 'A')).rcode).toBe('SERVFAIL');
      dns.apply({ domain: 'cluster.local', ttl: 5, records: {} });
      expect(data((await ask(dns.port, 'www.example.com', 'A')).answers, 'A')).toEqual([
        '192.0.2.53',
      ]);
      expect(lines).toEqual([]);
      fs.writeFileSync(resolvConfPath, '');
      dns.apply({ domain: 'cluster.local', ttl: 5, records: {} });
      expect((await ask(dns.port, 'www.example.com', 'A')).rcode).toBe('SERVFAIL');
      expect(lines.join('\n')).toContain('no upstream resolvers');
    } finally {
      await dns.stop!();
      await upstream.stop();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('refuses to start on a port taken by another program', async () => {
    const taken = dgram.createSocket('udp4');
    await new Promise<void>((resolve) => taken.bind(0, HOST, resolve));
    const busy = taken.address().port;
    const dns = dnsModule({ port: busy, addresses: [HOST] });
    try {
      await expect(dns.start!()).rejects.toThrow(`cannot listen on port ${busy}`);
    } finally {
      await dns.stop!();
      taken.close();
    }
  });
});

describe('PUT /v1/dns', () => {
  let control: ControlServer;
  let controlPort = 0;
  let dns: DnsModule;

  beforeAll(async () => {
    dns = dnsModule({ port: 0, addresses: [HOST] });
    await dns.start!();
    control = createControlServer(TOKEN, [dns]);
    await new Promise<void>((resolve) => control.server.listen(0, HOST, resolve));
    controlPort = (control.server.address() as AddressInfo).port;
  });

  afterAll(async () => {
    await control.close();
    await dns.stop!();
  });

  function put(
    body: string,
  ): Promise<{ status: number; json: { error?: string; records?: number } }> {
    return new Promise((resolve, reject) => {
      const req = http.request(
        {
          host: HOST,
          port: controlPort,
          method: 'PUT',
          path: '/v1/dns',
          headers: { Authorization: `Bearer ${TOKEN}`, 'Content-Type': 'application/json' },
          agent: false,
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () =>
            resolve({
              status: res.statusCode ?? 0,
              json: JSON.parse(Buffer.concat(chunks).toString()) as { error?: string },
            }),
          );
        },
      );
      req.on('error', reject);
      req.end(body);
    });
  }

  it('applies a valid document', async () => {
    const doc: DnsConfig = {
      domain: 'cluster.local',
      ttl: 5,
      records: { 'Api.NS.svc.cluster.local': { a: ['10.96.0.7'] } },
    };
    expect(await put(JSON.stringify(doc))).toEqual({ status: 200, json: { records: 1 } });
    const reply = await ask(dns.port, 'api.ns.svc.cluster.local', 'A');
    expect(data(reply.answers, 'A')).toEqual(['10.96.0.7']);
  });

  it('answers 400 naming the field and keeps the previous document', async () => {
    const good = { domain: 'cluster.local', ttl: 5, records: {} };
    const cases: [unknown, string][] = [
      [{ ...good, domain: '' }, 'domain:'],
      [{ ...good, ttl: -1 }, 'ttl:'],
      [{ ...good, ttl: '5' }, 'ttl:'],
      [{ ...good, records: [] }, 'records:'],
      [
        { ...good, records: { 'x.cluster.local': { a: ['10.0.0.300'] } } },
        'records["x.cluster.local"].a[0]:',
      ],
      [
        { ...good, records: { 'x.cluster.local': { a: '10.0.0.1' } } },
        'records["x.cluster.local"].a:',
      ],
      [{ ...good, records: { 'bad name!': {} } }, 'records["bad name!"]:'],
      [
        { ...good, records: { 'x.cluster.local': { aaaa: [] } } },
        'records["x.cluster.local"].aaaa: unknown field',
      ],
      [
        {
          ...good,
          records: {
            'x.cluster.local': { srv: [{ priority: 0, weight: 0, port: 70000, target: 'y' }] },
          },
        },
        'records["x.cluster.local"].srv[0].port:',
      ],
      [
        { ...good, records: { 'x.cluster.local': { cname: 'y.example.com', a: ['10.0.0.1'] } } },
        'records["x.cluster.local"].cname:',
      ],
      [
        { ...good, records: { 'x.cluster.local': { ptr: ['ok', 'not ok'] } } },
        'records["x.cluster.local"].ptr[1]:',
      ],
      [{ ...good, upstream: ['127.0.0.11', 'dns.example.com'] }, 'upstream[1]:'],
    ];
    for (const [body, field] of cases) {
      const reply = await put(JSON.stringify(body));
      expect(reply.status, field).toBe(400);
      expect(reply.json.error, field).toContain(field);
    }
    const notJson = await put('{"domain":');
    expect(notJson.status).toBe(400);
    expect(notJson.json.error).toMatch(/^body: /);
    // Still the document applied before.
    const reply = await ask(dns.port, 'api.ns.svc.cluster.local', 'A');
    expect(data(reply.answers, 'A')).toEqual(['10.96.0.7']);
  });
});

describe('dns document helpers', () => {
  it('parses upstream addresses', () => {
    expect(parseUpstream('127.0.0.11')).toEqual({ host: '127.0.0.11', port: 53 });
    expect(parseUpstream('10.0.0.2:5353')).toEqual({ host: '10.0.0.2', port: 5353 });
    expect(parseUpstream('[fd00::1]:53')).toEqual({ host: 'fd00::1', port: 53 });
    expect(parseUpstream('fd00::1')).toEqual({ host: 'fd00::1', port: 53 });
    expect(parseUpstream('10.0.0.2:0')).toBeUndefined();
    expect(parseUpstream('resolver')).toBeUndefined();
  });

  it('reads nameservers from resolv.conf', () => {
    const text =
      '# Generated by Docker\nnameserver 127.0.0.11\nnameserver fe80::1%eth0\nsearch x\noptions ndots:0\n';
    expect(resolvConfUpstreams(text)).toEqual([
      { host: '127.0.0.11', port: 53 },
      { host: 'fe80::1', port: 53 },
    ]);
  });

  it('lower-cases names and keeps the upstream list', () => {
    const config = parseDnsConfig({
      domain: 'Cluster.Local',
      ttl: 5,
      upstream: ['127.0.0.11'],
      records: { 'A.B.cluster.local': { cname: 'WWW.Example.com' } },
    });
    expect(config).toEqual({
      domain: 'cluster.local',
      ttl: 5,
      upstream: ['127.0.0.11'],
      records: { 'a.b.cluster.local': { cname: 'www.example.com' } },
    });
  });
});
