/** Recognises the pre-zip torch.save formats (and plain pickles) by their first bytes, to refuse them clearly. */
import { closeSync, readSync } from 'node:fs';
import { openRegularFile } from '../../util/boundedRead.js';
import { UserError } from '../../util/errors.js';

/** First 12 bytes of a legacy (torch < 1.6) checkpoint: PROTO 2, LONG1 <magic 0x1950a86a20f9469cfc6c>. */
const LEGACY_MAGIC = Buffer.from([0x80, 0x02, 0x8a, 0x0a, 0x6c, 0xfc, 0x9c, 0x46, 0xf9, 0x20, 0x6a, 0xa8]);

function readHead(file: string, n: number): Buffer {
  const { fd } = openRegularFile(file, '');
  try {
    const buf = Buffer.alloc(n);
    let got = 0;
    while (got < n) {
      const k = readSync(fd, buf, got, n - got, got);
      if (k === 0) break;
      got += k;
    }
    return buf.subarray(0, got);
  } catch (err) {
    throw new UserError(`cannot read ${file}: ${(err as Error).message}`);
  } finally {
    closeSync(fd);
  }
}

/** Refuses pre-zip torch.save formats with a clear message. */
export function rejectLegacy(file: string): void {
  const head = readHead(file, 512);
  const legacy = 'legacy torch.save format (torch < 1.6) not supported; re-save with torch>=1.6';
  if (head.length >= LEGACY_MAGIC.length && head.subarray(0, LEGACY_MAGIC.length).equals(LEGACY_MAGIC)) {
    throw new UserError(`${file}: ${legacy}`);
  }
  if (head.length >= 262 && head.toString('latin1', 257, 262) === 'ustar') {
    throw new UserError(`${file}: ${legacy} (this is the tar-based format)`);
  }
  if (head.length >= 2 && head[0] === 0x80 && head[1]! <= 5) {
    throw new UserError(`${file} is a plain pickle, not a torch.save zip archive (legacy torch.save format not supported; re-save with torch>=1.6)`);
  }
}
