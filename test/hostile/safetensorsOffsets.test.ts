/** Issue 17 item 3: safetensors data must be contiguous, non-overlapping and cover the whole buffer. */
import { afterAll, describe, it } from 'vitest';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadSafetensors } from '../../src/interop/safetensors.js';
import { expectUserError, f32Bytes, tempDir } from '../interop/helpers.js';

const tmp = tempDir();
afterAll(tmp.cleanup);

function file(name: string, header: Record<string, unknown>, data: Buffer): string {
  const json = Buffer.from(JSON.stringify(header));
  const len = Buffer.alloc(8);
  len.writeBigUInt64LE(BigInt(json.length));
  const f = join(tmp.dir, name);
  writeFileSync(f, Buffer.concat([len, json, data]));
  return f;
}

describe('safetensors data offsets', () => {
  it('overlapping tensors are refused', () => {
    const f = file(
      'overlap.safetensors',
      {
        a: { dtype: 'F32', shape: [2], data_offsets: [0, 8] },
        b: { dtype: 'F32', shape: [2], data_offsets: [4, 12] },
      },
      f32Bytes([1, 2, 3]),
    );
    expectUserError(() => loadSafetensors(f), 'overlap');
  });
  it('a gap between tensors is refused', () => {
    const f = file(
      'gap.safetensors',
      {
        a: { dtype: 'F32', shape: [1], data_offsets: [0, 4] },
        b: { dtype: 'F32', shape: [1], data_offsets: [8, 12] },
      },
      f32Bytes([1, 2, 3]),
    );
    expectUserError(() => loadSafetensors(f), 'gap');
  });
  it('bytes after the last tensor are refused', () => {
    const f = file('tail.safetensors', { a: { dtype: 'F32', shape: [1], data_offsets: [0, 4] } }, f32Bytes([1, 2]));
    expectUserError(() => loadSafetensors(f), 'after the last tensor');
  });
  it('/dev/zero is refused, not read', () => {
    expectUserError(() => loadSafetensors('/dev/zero'), 'not a regular file');
  });
});
