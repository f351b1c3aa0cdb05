// netd's DNS module: cluster DNS over UDP and TCP (the CoreDNS `kubernetes` plugin's role, per the
// Kubernetes DNS specification), answering from the agent's records and forwarding other names.
import dgram from 'node:dgram';
import fs from 'node:fs';
import type http from 'node:http';
import net from 'node:net';
import dnsPacket from 'dns-packet';
import type { Answer, DecodedPacket, RecordType, SoaAnswer } from 'dns-packet';
import type { DnsConfig, DnsRecords, SrvRecord } from '../config.ts';
import { sendJson, type NetdModule } from '../server.ts';

export interface DnsModuleOptions {
  /** UDP and TCP port (default 53); 0 picks a free one, the same for both (see `port`). */
  port?: number;
  /** Addresses to listen on (default 0.0.0.0). */
  addresses?: string[];
  log?(line: string): void;
  /** Where the default upstream resolvers are read from (default /etc/resolv.conf). */
  resolvConfPath?: string;
  /** How long a forwarded query may take before the client gets SERVFAIL (default 2 s). */
  forwardTimeoutMs?: number;
}

export interface DnsModule extends NetdModule {
  /** Serves a new document from the next query on (replaces the previous one whole). */
  apply(config: DnsConfig): void;
  /** The port listened on, once started. */
  readonly port: number;
}

/** The DNS schema version served at `dns-version.<domain>` (specification §2.2). */
export const DNS_SCHEMA_VERSION = '1.1.0';

const RCODE = { NOERROR: 0, FORMERR: 1, SERVFAIL: 2, NXDOMAIN: 3, NOTIMP: 4 } as const;
const FLAG_QR = 0x8000;
const OPCODE_MASK = 0x7800;
const FLAG_AA = 0x0400;
const FLAG_TC = 0x0200;
const FLAG_RD = 0x0100;
const FLAG_RA = 0x0080;

/** Bounds: queries waiting on upstreams, TCP clients, and queries in flight per TCP client. */
const MAX_FORWARDS = 1024;
const MAX_TCP_CONNECTIONS = 256;
const MAX_TCP_PENDING = 32;
/** An idle TCP client is dropped after this (RFC 7766 leaves it to the server; CoreDNS: 10 s). */
const TCP_IDLE_MS = 10_000;
const MAX_CNAME_HOPS = 8;
/** Without EDNS a UDP answer is at most 512 bytes (RFC 1035); with EDNS we accept up to 4096. */
const UDP_MIN = 512;
const UDP_MAX = 4096;
/** The payload size netd advertises in its own OPT record (the DNS flag day 2020 value). */
const ADVERTISED_UDP = 1232;
/** A DNS document for a big cluster exceeds the control server's 1 MiB default. */
const MAX_BODY = 32 << 20;

type Transport = 'udp' | 'tcp';

interface Upstream {
  host: string;
  port: number;
}

// ----- the document -----

export class DnsConfigError extends Error {}

const LABEL = /^[a-z0-9_]([a-z0-9_-]{0,61}[a-z0-9_])?$/i;

function isDnsName(value: unknown): value is string {
  if (typeof value !== 'string' || !value || value.length > 253) return false;
  return value.split('.').every((label) => LABEL.test(label));
}

const IPV4 = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/;

function isRecordObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** `ip`, `ip:port`, `[ipv6]:port` or a bare IPv6 address; undefined when it is none of them. */
export function parseUpstream(text: string): Upstream | undefined {
  if (net.isIP(text)) return { host: text, port: 53 };
  const match = /^\[([^\]]+)\]:(\d+)$/.exec(text) ?? /^([^:]+):(\d+)$/.exec(text);
  if (!match || !net.isIP(match[1])) return undefined;
  const port = Number(match[2]);
  return port > 0 && port < 65536 ? { host: match[1], port } : undefined;
}

function uint(value: unknown, max: number): value is number {
  return typeof value === 'number' && Number.isInteger(value) && value >= 0 && value <= max;
}

/** Checks a PUT /v1/dns body; throws DnsConfigError naming the first bad field. */
export function parseDnsConfig(body: unknown): DnsConfig {
  const fail = (field: string, message: string): never => {
    throw new DnsConfigError(`${field}: ${message}`);
  };
  if (!isRecordObject(body)) return fail('body', 'must be a JSON object');
  if (!isDnsName(body.domain)) fail('domain', 'must be a DNS name such as cluster.local');
  if (!uint(body.ttl, 2 ** 31 - 1))
    fail('ttl', 'must be an integer number of seconds between 0 and 2147483647');
  if (body.upstream !== undefined) {
    if (!Array.isArray(body.upstream)) fail('upstream', 'must be a list of addresses');
    (body.upstream as unknown[]).forEach((u, i) => {
      if (typeof u !== 'string' || !parseUpstream(u))
        fail(`upstream[${i}]`, 'must be an IP address or ip:port');
    });
  }
  if (!isRecordObject(body.records)) fail('records', 'must be an object keyed by name');
  const records: Record<string, DnsRecords> = {};
  for (const [name, value] of Object.entries(body.records as Record<string, unknown>)) {
    const at = `records[${JSON.stringify(name)}]`;
    if (!isDnsName(name)) fail(at, 'is not a DNS name');
    if (!isRecordObject(value)) fail(at, 'must be an object');
    const item = value as Record<string, unknown>;
    const out: DnsRecords = {};
    for (const key of Object.keys(item)) {
      if (!['a', 'srv', 'cname', 'ptr'].includes(key)) fail(`${at}.${key}`, 'unknown field');
    }
    if (item.a !== undefined) {
      if (!Array.isArray(item.a)) fail(`${at}.a`, 'must be a list of IPv4 addresses');
      out.a = (item.a as unknown[]).map((ip, i) =>
        typeof ip === 'string' && IPV4.test(ip)
          ? ip
          : fail(`${at}.a[${i}]`, 'must be an IPv4 address'),
      );
    }
    if (item.srv !== undefined) {
      if (!Array.isArray(item.srv)) fail(`${at}.srv`, 'must be a list of SRV records');
      out.srv = (item.srv as unknown[]).map((srv, i): SrvRecord => {
        const where = `${at}.srv[${i}]`;
        if (!isRecordObject(srv)) return fail(where, 'must be an object');
        for (const field of ['priority', 'weight', 'port'] as const)
          if (!uint(srv[field], 65535)) fail(`${where}.${field}`, 'must be an integer 0-65535');
        if (!isDnsName(srv.target)) fail(`${where}.target`, 'must be a DNS name');
        return {
          priority: srv.priority as number,
          weight: srv.weight as number,
          port: srv.port as number,
          target: (srv.target as string).toLowerCase(),
        };
      });
    }
    if (item.cname !== undefined) {
      if (!isDnsName(item.cname)) fail(`${at}.cname`, 'must be a DNS name');
      // RFC 1034 §3.6.2: a name with a CNAME has no other data.
      if (item.a !== undefined || item.srv !== undefined || item.ptr !== undefined)
        fail(`${at}.cname`, 'a name with a CNAME can have no other records');
      out.cname = (item.cname as string).toLowerCase();
    }
    if (item.ptr !== undefined) {
      if (!Array.isArray(item.ptr)) fail(`${at}.ptr`, 'must be a list of DNS names');
      out.ptr = (item.ptr as unknown[]).map((target, i) =>
        isDnsName(target) ? target.toLowerCase() : fail(`${at}.ptr[${i}]`, 'must be a DNS name'),
      );
    }
    records[name.toLowerCase()] = out;
  }
  const config: DnsConfig = {
    domain: (body.domain as string).toLowerCase(),
    records,
    ttl: body.ttl as number,
  };
  if (body.upstream !== undefined) config.upstream = body.upstream as string[];
  return config;
}

/** The nameservers of a resolv.conf, as upstreams. */
export function resolvConfUpstreams(text: string): Upstream[] {
  const out: Upstream[] = [];
  for (const line of text.split('\n')) {
    const fields = line.trim().split(/\s+/);
    if (fields[0] !== 'nameserver' || !fields[1]) continue;
    // A link-local IPv6 server carries a zone (fe80::1%eth0), which net.isIP refuses.
    const upstream = parseUpstream(fields[1].split('%')[0]);
    if (upstream) out.push(upstream);
  }
  return out;
}

// ----- answering -----

interface LocalAnswer {
  rcode: number;
  answers: Answer[];
  authorities: Answer[];
  additionals: Answer[];
  /** A CNAME leads out of the cluster: resolve this upstream and append its answers. */
  chase?: { name: string; type: string };
}

/** One applied document, indexed for lookups. Rebuilt whole on every apply. */
class Zone {
  readonly domain: string;
  readonly ttl: number;
  private readonly names = new Map<string, DnsRecords>();
  /** Names under the domain that exist only as ancestors of records (answered NODATA). */
  private readonly branches = new Set<string>();

  constructor(
    config: DnsConfig,
    private readonly serial: number,
  ) {
    this.domain = config.domain.toLowerCase().replace(/\.$/, '');
    this.ttl = config.ttl;
    for (const [name, records] of Object.entries(config.records)) {
      const key = name.toLowerCase();
      this.names.set(key, records);
      if (!key.endsWith(`.${this.domain}`)) continue;
      for (let at = key.indexOf('.'); at !== -1; at = key.indexOf('.', at + 1)) {
        const parent = key.slice(at + 1);
        if (parent === this.domain || this.branches.has(parent)) break;
        this.branches.add(parent);
      }
    }
  }

  inZone(name: string): boolean {
    return name === this.domain || name.endsWith(`.${this.domain}`);
  }

  private soa(): SoaAnswer {
    return {
      type: 'SOA',
      name: this.domain,
      ttl: this.ttl,
      data: {
        mname: `ns.dns.${this.domain}`,
        rname: `hostmaster.${this.domain}`,
        serial: this.serial,
        refresh: 7200,
        retry: 1800,
        expire: 86400,
        minimum: this.ttl,
      },
    };
  }

  private negative(rcode: number, authority: boolean): LocalAnswer {
    return { rcode, answers: [], authorities: authority ? [this.soa()] : [], additionals: [] };
  }

  /** The local answer for a question, or undefined when the name is forwarded. */
  lookup(qname: string, qtype: string): LocalAnswer | undefined {
    const name = qname.toLowerCase().replace(/\.$/, '');
    const any = qtype === 'ANY';
    const records = this.names.get(name);
    if (records) return this.fromRecords(qname, name, records, qtype);
    if (!this.inZone(name)) return undefined;

    if (name === `dns-version.${this.domain}`) {
      if (qtype !== 'TXT' && !any) return this.negative(RCODE.NOERROR, true);
      const txt: Answer = { type: 'TXT', name: qname, ttl: this.ttl, data: DNS_SCHEMA_VERSION };
      return { rcode: RCODE.NOERROR, answers: [txt], authorities: [], additionals: [] };
    }
    if (name === this.domain) {
      if (qtype !== 'SOA' && !any) return this.negative(RCODE.NOERROR, true);
      return {
        rcode: RCODE.NOERROR,
        answers: [{ ...this.soa(), name: qname }],
        authorities: [],
        additionals: [],
      };
    }
    const pods = `pod.${this.domain}`;
    if (name === pods) return this.negative(RCODE.NOERROR, true);
    if (name.endsWith(`.${pods}`)) {
      // `pods insecure`: <a-b-c-d>.<namespace>.pod.<domain> is a.b.c.d, no lookup of the pod.
      const labels = name.slice(0, -pods.length - 1).split('.');
      if (labels.length === 1) return this.negative(RCODE.NOERROR, true);
      const ip = labels[0].replaceAll('-', '.');
      if (labels.length !== 2 || !IPV4.test(ip)) return this.negative(RCODE.NXDOMAIN, true);
      if (qtype !== 'A' && !any) return this.negative(RCODE.NOERROR, true);
      const answer: Answer = { type: 'A', name: qname, ttl: this.ttl, data: ip };
      return { rcode: RCODE.NOERROR, answers: [answer], authorities: [], additionals: [] };
    }
    if (this.branches.has(name)) return this.negative(RCODE.NOERROR, true);
    return this.negative(RCODE.NXDOMAIN, true);
  }

  private fromRecords(qname: string, name: string, first: DnsRecords, qtype: string): LocalAnswer {
    const answers: Answer[] = [];
    const additionals: Answer[] = [];
    const ttl = this.ttl;
    let owner = qname;
    let records = first;
    for (let hops = 0; records.cname !== undefined; hops++) {
      const target = records.cname;
      answers.push({ type: 'CNAME', name: owner, ttl, data: target });
      if (qtype === 'CNAME' || qtype === 'ANY' || hops >= MAX_CNAME_HOPS) break;
      const next = this.names.get(target);
      if (!next) {
        // A target in the cluster domain that has no records: the chain ends here. Anything
        // else is resolved upstream, as CoreDNS does for ExternalName Services.
        if (this.inZone(target)) break;
        return {
          rcode: RCODE.NOERROR,
          answers,
          authorities: [],
          additionals,
          chase: { name: target, type: qtype },
        };
      }
      owner = target;
      records = next;
    }
    if (records.cname === undefined) {
      const all = qtype === 'ANY';
      if ((qtype === 'A' || all) && records.a)
        for (const ip of records.a) answers.push({ type: 'A', name: owner, ttl, data: ip });
      if ((qtype === 'SRV' || all) && records.srv) {
        const seen = new Set<string>();
        for (const srv of records.srv) {
          answers.push({
            type: 'SRV',
            name: owner,
            ttl,
            data: {
              priority: srv.priority,
              weight: srv.weight,
              port: srv.port,
              target: srv.target,
            },
          });
          // The targets' addresses ride along so the client needs no second query.
          if (seen.has(srv.target)) continue;
          seen.add(srv.target);
          for (const ip of this.names.get(srv.target)?.a ?? [])
            additionals.push({ type: 'A', name: srv.target, ttl, data: ip });
        }
      }
      if ((qtype === 'PTR' || all) && records.ptr)
        for (const target of records.ptr)
          answers.push({ type: 'PTR', name: owner, ttl, data: target });
    }
    if (!answers.length) return this.negative(RCODE.NOERROR, this.inZone(name));
    return { rcode: RCODE.NOERROR, answers, authorities: [], additionals };
  }
}

// ----- wire helpers -----

/** A header-only reply for a query too broken (or too unusual) to echo. */
function headerReply(query: Buffer, rcode: number): Buffer {
  const out = Buffer.alloc(12);
  query.copy(out, 0, 0, 2);
  const flags = query.readUInt16BE(2);
  out.writeUInt16BE(FLAG_QR | (flags & OPCODE_MASK) | (flags & FLAG_RD) | FLAG_RA | rcode, 2);
  return out;
}

function optRecord(): Answer {
  return {
    type: 'OPT',
    name: '.',
    udpPayloadSize: ADVERTISED_UDP,
    extendedRcode: 0,
    ednsVersion: 0,
    flags: 0,
    flag_do: false,
    options: [],
  };
}

function requestOpt(query: DecodedPacket): { udpPayloadSize: number } | undefined {
  const opt = query.additionals?.find((a) => a.type === 'OPT');
  return opt && 'udpPayloadSize' in opt ? { udpPayloadSize: opt.udpPayloadSize } : undefined;
}

/**
 * Encodes a reply within `limit` bytes: the additional section goes first (no TC needed for it),
 * then answers are dropped from the end and TC is set, so the client retries over TCP.
 */
function encodeReply(
  query: DecodedPacket,
  answer: LocalAnswer,
  authoritative: boolean,
  limit: number,
): Buffer {
  const opt = requestOpt(query) ? [optRecord()] : [];
  const flags =
    ((query.flags ?? 0) & (OPCODE_MASK | FLAG_RD)) |
    FLAG_RA |
    (authoritative ? FLAG_AA : 0) |
    answer.rcode;
  const encode = (answers: Answer[], authorities: Answer[], additionals: Answer[], tc: boolean) =>
    dnsPacket.encode({
      type: 'response',
      id: query.id,
      flags: flags | (tc ? FLAG_TC : 0),
      questions: query.questions,
      answers,
      authorities,
      additionals: [...additionals, ...opt],
    });
  const full = encode(answer.answers, answer.authorities, answer.additionals, false);
  if (full.length <= limit) return full;
  const lean = encode(answer.answers, answer.authorities, [], false);
  if (lean.length <= limit) return lean;
  // The largest prefix of the answers that fits.
  let low = 0;
  let high = answer.answers.length - 1;
  let best = encode([], [], [], true);
  while (low <= high) {
    const mid = (low + high) >> 1;
    const candidate = encode(answer.answers.slice(0, mid), [], [], true);
    if (candidate.length <= limit) {
      best = candidate;
      low = mid + 1;
    } else high = mid - 1;
  }
  return best;
}

function udpLimit(query: DecodedPacket): number {
  const opt = requestOpt(query);
  return opt ? Math.max(UDP_MIN, Math.min(opt.udpPayloadSize, UDP_MAX)) : UDP_MIN;
}

// ----- the module -----

export function dnsModule(options: DnsModuleOptions = {}): DnsModule {
  const log = (line: string) => options.log?.(line);
  const addresses = options.addresses ?? ['0.0.0.0'];
  const resolvConfPath = options.resolvConfPath ?? '/etc/resolv.conf';
  const forwardTimeoutMs = options.forwardTimeoutMs ?? 2_000;
  let port = options.port ?? 53;
  let zone: Zone | undefined;
  let upstreams: Upstream[] = [];
  let serial = 0;
  const udpSockets: dgram.Socket[] = [];
  const tcpServers: net.Server[] = [];
  const tcpClients = new Set<net.Socket>();
  /** Cancels every exchange with an upstream still waiting (at most MAX_FORWARDS). */
  const exchanges = new Set<() => void>();

  function apply(config: DnsConfig): void {
    // CoreDNS's serial is the time of the last change; kept increasing for secondaries' sake.
    serial = Math.max(serial + 1, Math.floor(Date.now() / 1000));
    if (config.upstream?.length) {
      upstreams = config.upstream.map(parseUpstream).filter((u): u is Upstream => !!u);
    } else {
      try {
        upstreams = resolvConfUpstreams(fs.readFileSync(resolvConfPath, 'utf8'));
      } catch (err) {
        log(`dns: cannot read ${resolvConfPath}: ${(err as Error).message}`);
        upstreams = [];
      }
      if (!upstreams.length) log(`dns: no upstream resolvers: other names get SERVFAIL`);
    }
    zone = new Zone(config, serial >>> 0);
  }

  /** One request/response with one upstream, over the client's transport. */
  function exchange(
    upstream: Upstream,
    query: Buffer,
    transport: Transport,
    timeoutMs: number,
  ): Promise<Buffer | undefined> {
    const id = query.readUInt16BE(0);
    const isReply = (msg: Buffer) =>
      msg.length >= 12 && msg.readUInt16BE(0) === id && (msg.readUInt16BE(2) & FLAG_QR) !== 0;
    return new Promise((resolve) => {
      let finished = false;
      let close: () => void = () => undefined;
      const finish = (reply?: Buffer) => {
        if (finished) return;
        finished = true;
        clearTimeout(timer);
        exchanges.delete(cancel);
        close();
        resolve(reply);
      };
      const cancel = () => finish();
      const timer = setTimeout(cancel, timeoutMs);
      exchanges.add(cancel);
      if (transport === 'udp') {
        const socket = dgram.createSocket(net.isIPv6(upstream.host) ? 'udp6' : 'udp4');
        close = () => {
          try {
            socket.close();
          } catch {
            // already closed
          }
        };
        socket.on('error', cancel);
        socket.on('message', (msg) => {
          if (isReply(msg)) finish(msg);
        });
        socket.connect(upstream.port, upstream.host, () => {
          socket.send(query, (err) => {
            if (err) cancel();
          });
        });
      } else {
        const socket = net.connect({ host: upstream.host, port: upstream.port });
        close = () => socket.destroy();
        let buffered: Buffer = Buffer.alloc(0);
        socket.on('connect', () => {
          const head = Buffer.alloc(2);
          head.writeUInt16BE(query.length);
          socket.write(Buffer.concat([head, query]));
        });
        socket.on('data', (chunk: Buffer) => {
          buffered = Buffer.concat([buffered, chunk]);
          if (buffered.length < 2) return;
          const length = buffered.readUInt16BE(0);
          if (buffered.length < 2 + length) return;
          const msg = buffered.subarray(2, 2 + length);
          finish(isReply(msg) ? msg : undefined);
        });
        socket.on('error', cancel);
        socket.on('close', cancel);
      }
    });
  }

  /** Forwards a query as it came (the client's id, flags and EDNS) to the upstreams in turn. */
  async function forward(query: Buffer, transport: Transport): Promise<Buffer | undefined> {
    if (exchanges.size >= MAX_FORWARDS) return undefined;
    const deadline = Date.now() + forwardTimeoutMs;
    const list = upstreams;
    for (let i = 0; i < list.length; i++) {
      const remaining = deadline - Date.now();
      if (remaining <= 0) break;
      // A silent resolver must leave time for the next ones.
      const reply = await exchange(
        list[i],
        query,
        transport,
        Math.max(1, Math.floor(remaining / (list.length - i))),
      );
      if (reply) return reply;
    }
    return undefined;
  }

  /** The answers of an upstream lookup (for a CNAME leading out of the cluster), or none. */
  async function lookupUpstream(
    name: string,
    type: string,
    transport: Transport,
  ): Promise<Answer[]> {
    const query = dnsPacket.encode({
      type: 'query',
      id: Math.floor(Math.random() * 65536),
      flags: FLAG_RD,
      // dns-packet also takes the UNKNOWN_<n> names it decodes unknown types to.
      questions: [{ name, type: type as RecordType, class: 'IN' }],
    });
    const reply = await forward(query, transport);
    if (!reply) return [];
    try {
      const decoded = dnsPacket.decode(reply);
      if (((decoded.flags ?? 0) & 0xf) !== RCODE.NOERROR) return [];
      return (decoded.answers ?? []).filter((a) => a.type !== 'OPT');
    } catch {
      return [];
    }
  }

  /** Answers one query message; undefined when there is nothing to send back. */
  async function handle(msg: Buffer, transport: Transport): Promise<Buffer | undefined> {
    if (msg.length < 12) return undefined;
    const flags = msg.readUInt16BE(2);
    if (flags & FLAG_QR) return undefined; // a response: never answer those
    let query: DecodedPacket;
    try {
      query = dnsPacket.decode(msg);
    } catch {
      return headerReply(msg, RCODE.FORMERR);
    }
    if ((flags & OPCODE_MASK) !== 0) return headerReply(msg, RCODE.NOTIMP);
    if (query.questions?.length !== 1) return headerReply(msg, RCODE.FORMERR);
    const limit = transport === 'udp' ? udpLimit(query) : 65535;
    const failure = (): Buffer =>
      encodeReply(
        query,
        { rcode: RCODE.SERVFAIL, answers: [], authorities: [], additionals: [] },
        false,
        limit,
      );
    const current = zone;
    // Until the agent has sent the records nothing can be told apart: fail soft, not NXDOMAIN.
    if (!current) return failure();
    const question = query.questions[0];
    const klass = question.class ?? 'IN';
    const local =
      klass === 'IN' || klass === 'ANY' ? current.lookup(question.name, question.type) : undefined;
    if (!local) return (await forward(msg, transport)) ?? failure();
    if (local.chase) {
      const more = await lookupUpstream(local.chase.name, local.chase.type, transport);
      local.answers.push(...more);
    }
    return encodeReply(query, local, true, limit);
  }

  async function safeHandle(msg: Buffer, transport: Transport): Promise<Buffer | undefined> {
    try {
      return await handle(msg, transport);
    } catch (err) {
      log(`dns: ${(err as Error).message}`);
      return msg.length >= 12 ? headerReply(msg, RCODE.SERVFAIL) : undefined;
    }
  }

  function onTcpClient(socket: net.Socket): void {
    tcpClients.add(socket);
    socket.setTimeout(TCP_IDLE_MS, () => socket.destroy());
    socket.setNoDelay(true);
    let buffered: Buffer = Buffer.alloc(0);
    let pending = 0;
    socket.on('data', (chunk: Buffer) => {
      buffered = buffered.length ? Buffer.concat([buffered, chunk]) : chunk;
      while (buffered.length >= 2) {
        const length = buffered.readUInt16BE(0);
        if (buffered.length < 2 + length) break;
        const msg = Buffer.from(buffered.subarray(2, 2 + length));
        buffered = buffered.subarray(2 + length);
        if (++pending > MAX_TCP_PENDING) {
          socket.destroy();
          return;
        }
        void safeHandle(msg, 'tcp').then((reply) => {
          pending--;
          if (!reply || socket.destroyed) return;
          const head = Buffer.alloc(2);
          head.writeUInt16BE(reply.length);
          socket.write(Buffer.concat([head, reply]));
        });
      }
    });
    socket.on('error', () => socket.destroy());
    socket.on('close', () => tcpClients.delete(socket));
  }

  function listenTcp(address: string, at: number): Promise<net.Server> {
    return new Promise((resolve, reject) => {
      const server = net.createServer(onTcpClient);
      server.maxConnections = MAX_TCP_CONNECTIONS;
      server.once('error', reject);
      server.listen({ host: address, port: at }, () => {
        server.off('error', reject);
        server.on('error', (err) => log(`dns: tcp ${address}:${at}: ${err.message}`));
        resolve(server);
      });
    });
  }

  function listenUdp(address: string, at: number): Promise<dgram.Socket> {
    return new Promise((resolve, reject) => {
      const socket = dgram.createSocket(net.isIPv6(address) ? 'udp6' : 'udp4');
      const failed = (err: Error) => {
        try {
          socket.close();
        } catch {
          // never bound
        }
        reject(err);
      };
      socket.once('error', failed);
      socket.bind(at, address, () => {
        socket.off('error', failed);
        socket.on('error', (err) => log(`dns: udp ${address}:${at}: ${err.message}`));
        socket.on('message', (msg, remote) => {
          void safeHandle(msg, 'udp').then((reply) => {
            if (!reply) return;
            try {
              socket.send(reply, remote.port, remote.address);
            } catch {
              // the module stopped meanwhile
            }
          });
        });
        resolve(socket);
      });
    });
  }

  async function closeAll(): Promise<void> {
    for (const cancel of [...exchanges]) cancel();
    for (const client of tcpClients) client.destroy();
    await Promise.all([
      ...tcpServers.splice(0).map((s) => new Promise<void>((resolve) => s.close(() => resolve()))),
      ...udpSockets.splice(0).map((s) => new Promise<void>((resolve) => s.close(() => resolve()))),
    ]);
  }

  async function start(): Promise<void> {
    // Port 0: the first TCP listener picks the port and every other listener takes the same one;
    // a clash with another program's UDP port is retried on a new port.
    const wanted = port;
    for (let attempt = 0; ; attempt++) {
      try {
        for (const address of addresses) {
          const server = await listenTcp(address, port);
          tcpServers.push(server);
          if (wanted === 0 && port === 0) {
            const bound = server.address();
            if (bound && typeof bound === 'object') port = bound.port;
          }
          udpSockets.push(await listenUdp(address, port));
        }
        return;
      } catch (err) {
        await closeAll();
        const code = (err as NodeJS.ErrnoException).code;
        if (wanted !== 0 || code !== 'EADDRINUSE' || attempt >= 4)
          throw new Error(`dns: cannot listen on port ${port}: ${(err as Error).message}`, {
            cause: err,
          });
        port = 0;
      }
    }
  }

  async function put(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    let body: unknown;
    try {
      const chunks: Buffer[] = [];
      let size = 0;
      for await (const chunk of req as AsyncIterable<Buffer>) {
        size += chunk.length;
        if (size > MAX_BODY) throw new DnsConfigError('body: larger than 32 MiB');
        chunks.push(chunk);
      }
      body = JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}');
    } catch (err) {
      const message =
        err instanceof DnsConfigError ? err.message : `body: ${(err as Error).message}`;
      sendJson(res, 400, { error: message });
      return;
    }
    let config: DnsConfig;
    try {
      config = parseDnsConfig(body);
    } catch (err) {
      sendJson(res, 400, { error: (err as Error).message });
      return;
    }
    apply(config);
    sendJson(res, 200, { records: Object.keys(config.records).length });
  }

  return {
    name: 'dns',
    routes: [{ method: 'PUT', path: '/v1/dns', handle: put }],
    start,
    stop: closeAll,
    apply,
    get port() {
      return port;
    },
  };
}
