/** The opcodes that push one plain value read from the input: constants, integers, floats, strings and bytes. */
import type { OpHandler, PickleMachine } from './machine.js';
import { OP } from './opcodes.js';

const MAX_SAFE = BigInt(Number.MAX_SAFE_INTEGER);

function intValue(v: bigint): number | bigint {
  return v <= MAX_SAFE && v >= -MAX_SAFE ? Number(v) : v;
}

/** Decodes a little-endian two's-complement integer (LONG1 / LONG4 payload). */
function decodeLong(bytes: Uint8Array): number | bigint {
  if (bytes.length === 0) return 0;
  let v = 0n;
  for (let i = bytes.length - 1; i >= 0; i--) v = (v << 8n) | BigInt(bytes[i]!);
  if (bytes[bytes.length - 1]! & 0x80) v -= 1n << BigInt(bytes.length * 8);
  return intValue(v);
}

function textInt(m: PickleMachine, s: string, opname: string): number | bigint {
  const t = s.endsWith('L') ? s.slice(0, -1) : s;
  if (!/^[+-]?\d+$/.test(t)) throw m.corrupt(`bad ${opname} literal '${s}'`);
  return intValue(BigInt(t));
}

const FLOAT_WORDS: Record<string, number> = { inf: Infinity, '-inf': -Infinity, nan: NaN };

/** A length prefix that must not be negative (the signed 4-byte ones). */
function length32(m: PickleMachine, opname: string): number {
  const n = m.i32();
  if (n < 0) throw m.corrupt(`negative ${opname} length`);
  return n;
}

export const SCALAR_OPS: Record<number, OpHandler> = {
  // framing: the protocol version, and frame lengths (we read the whole pickle at once)
  [OP.PROTO]: (m) => {
    const proto = m.u8();
    if (proto > 5) throw m.error(`unsupported pickle protocol ${proto}`);
  },
  [OP.FRAME]: (m) => void m.u64(),

  [OP.NONE]: (m) => m.push(null),
  [OP.NEWTRUE]: (m) => m.push(true),
  [OP.NEWFALSE]: (m) => m.push(false),

  // integers
  [OP.INT]: (m) => {
    const s = m.line();
    if (s === '00') m.push(false);
    else if (s === '01') m.push(true);
    else m.push(textInt(m, s, 'INT'));
  },
  [OP.LONG]: (m) => m.push(textInt(m, m.line(), 'LONG')),
  [OP.BININT]: (m) => m.push(m.i32()),
  [OP.BININT1]: (m) => m.push(m.u8()),
  [OP.BININT2]: (m) => m.push(m.u16()),
  [OP.LONG1]: (m) => m.push(decodeLong(m.take(m.u8()))),
  [OP.LONG4]: (m) => m.push(decodeLong(m.take(length32(m, 'LONG4')))),

  // floats
  [OP.FLOAT]: (m) => {
    const s = m.line().trim();
    // own keys only: 'toString' or 'constructor' must not reach Object.prototype
    const v = Object.hasOwn(FLOAT_WORDS, s) ? FLOAT_WORDS[s]! : s === '' ? NaN : Number(s);
    if (Number.isNaN(v) && s !== 'nan') throw m.corrupt(`bad FLOAT literal '${s}'`);
    m.push(v);
  },
  [OP.BINFLOAT]: (m) => m.push(m.f64be()),

  // strings (Python 2 str as latin1) and bytes
  [OP.BINSTRING]: (m) => m.push(m.take(length32(m, 'BINSTRING')).toString('latin1')),
  [OP.SHORT_BINSTRING]: (m) => m.push(m.take(m.u8()).toString('latin1')),
  [OP.BINBYTES]: (m) => m.push(new Uint8Array(m.take(m.u32()))),
  [OP.SHORT_BINBYTES]: (m) => m.push(new Uint8Array(m.take(m.u8()))),
  [OP.BINBYTES8]: (m) => m.push(new Uint8Array(m.take(m.u64()))),
  [OP.BYTEARRAY8]: (m) => m.push(new Uint8Array(m.take(m.u64()))),
  [OP.BINUNICODE]: (m) => m.push(m.take(m.u32()).toString('utf8')),
  [OP.SHORT_BINUNICODE]: (m) => m.push(m.take(m.u8()).toString('utf8')),
  [OP.BINUNICODE8]: (m) => m.push(m.take(m.u64()).toString('utf8')),
};
