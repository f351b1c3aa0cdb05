import { describe, expect, it } from 'vitest';
import { DockerDemux, dockerSince } from './docker-streams.ts';

function frame(type: number, text: string): Buffer {
  const body = Buffer.from(text);
  const head = Buffer.alloc(8);
  head[0] = type;
  head.writeUInt32BE(body.length, 4);
  return Buffer.concat([head, body]);
}

describe("Docker's multiplexed stream", () => {
  it('splits frames split anywhere across chunks, keeping the stream type', () => {
    const seen: [number, string][] = [];
    const demux = new DockerDemux((type, payload) => seen.push([type, payload.toString()]));
    const bytes = Buffer.concat([frame(1, 'out\n'), frame(2, 'err\n'), frame(1, 'more')]);
    for (let i = 0; i < bytes.length; i += 3) demux.write(bytes.subarray(i, i + 3));
    expect(seen).toEqual([
      [1, 'out\n'],
      [2, 'err\n'],
      [1, 'more'],
    ]);
  });

  it('merges payloads when no handler is given (logs)', async () => {
    const demux = new DockerDemux();
    const chunks: Buffer[] = [];
    demux.on('data', (c: Buffer) => chunks.push(c));
    demux.end(Buffer.concat([frame(1, 'a\n'), frame(2, 'b\n')]));
    await new Promise((resolve) => demux.on('end', resolve));
    expect(Buffer.concat(chunks).toString()).toBe('a\nb\n');
  });
});

describe('dockerSince', () => {
  it('writes seconds.nanoseconds as the Docker API parses them', () => {
    expect(dockerSince(1700000000.25)).toBe('1700000000.250000000');
    expect(dockerSince(12)).toBe('12.000000000');
  });
});
