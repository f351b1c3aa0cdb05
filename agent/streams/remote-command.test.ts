import { describe, expect, it } from 'vitest';
import {
  CHANNEL,
  decodeFrame,
  encodeFrame,
  exitStatus,
  negotiateProtocol,
  parseResize,
  REMOTE_COMMAND_PROTOCOLS,
} from './remote-command.ts';

describe('channel framing', () => {
  it('puts the channel in the first byte and reads it back', () => {
    const frame = encodeFrame(CHANNEL.stderr, 'oops');
    expect([...frame]).toEqual([2, ...Buffer.from('oops')]);
    expect(decodeFrame(frame)).toEqual({ channel: 2, data: Buffer.from('oops') });
    expect(decodeFrame(Buffer.alloc(0))).toBeUndefined();
  });

  it('prefers v5 and accepts v4 from the offered subprotocols', () => {
    expect(
      negotiateProtocol('v4.channel.k8s.io, v5.channel.k8s.io', REMOTE_COMMAND_PROTOCOLS),
    ).toBe('v5.channel.k8s.io');
    expect(
      negotiateProtocol(['base64.channel.k8s.io', 'v4.channel.k8s.io'], REMOTE_COMMAND_PROTOCOLS),
    ).toBe('v4.channel.k8s.io');
    expect(negotiateProtocol('channel.k8s.io', REMOTE_COMMAND_PROTOCOLS)).toBeUndefined();
  });

  it('parses resize messages with capitalised keys only', () => {
    expect(parseResize(Buffer.from('{"Width":120,"Height":50}\n'))).toEqual({
      width: 120,
      height: 50,
    });
    expect(parseResize(Buffer.from('{"width":1,"height":2}'))).toBeUndefined();
    expect(parseResize(Buffer.from('nope'))).toBeUndefined();
  });

  it('reports exit codes as kubectl reads them', () => {
    expect(exitStatus(0)).toEqual({ metadata: {}, status: 'Success' });
    expect(exitStatus(3, ['sh', '-c', 'exit 3'])).toMatchObject({
      status: 'Failure',
      reason: 'NonZeroExitCode',
      details: { causes: [{ reason: 'ExitCode', message: '3' }] },
    });
  });
});
