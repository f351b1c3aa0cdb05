// The part of spdy-transport 3.0.0 (untyped) that the port-forward server and its tests use.
declare module 'spdy-transport' {
  import type { Duplex } from 'node:stream';
  import type { EventEmitter } from 'node:events';

  export interface SpdyStream extends Duplex {
    id: number;
    headers: Record<string, string>;
    respond(
      status: number,
      headers: Record<string, string>,
      callback?: (err?: Error) => void,
    ): void;
    abort(code?: string, callback?: () => void): void;
  }

  export interface SpdyConnection extends EventEmitter {
    start(version: number): void;
    request(
      options: { method: string; path: string; headers?: Record<string, string>; host?: string },
      callback?: (err: Error | null, stream: SpdyStream) => void,
    ): SpdyStream;
    end(callback?: () => void): void;
    destroyStreams(err?: Error): void;
    _spdyState: {
      parser: {
        parseKVs(
          body: unknown,
          callback: (err: Error | null, headers: Record<string, string>) => void,
        ): void;
      };
      streamWindow: { send: { setMax(max: number): void } };
      window: { send: { setMax(max: number): void; current: number } };
    };
  }

  export const connection: {
    create(
      socket: Duplex,
      options: { protocol: 'spdy' | 'http2'; isServer: boolean; windowSize?: number },
    ): SpdyConnection;
  };
}
