import { describe, expect, it } from 'vitest';
import { rejectedPatch, unknownError } from './patch-errors.ts';

describe('patch errors', () => {
  it('builds the Status errors kube-apiserver gives for plain and 422 patch errors', () => {
    const plain = unknownError('boom').toStatus();
    expect(plain).toMatchObject({ code: 500, message: 'boom' });
    expect(plain.reason).toBeUndefined();
    const rejected = rejectedPatch('detail');
    expect(rejected.toStatus()).toMatchObject({
      code: 422,
      reason: 'Invalid',
      message: 'the server rejected our request due to an error in our request',
      details: {},
    });
    expect((rejected.cause as Error).message).toBe('detail');
  });
});
