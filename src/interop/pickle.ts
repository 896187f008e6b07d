/**
 * A safe, data-only unpickler for the subset of the pickle format that
 * torch.save writes for state dicts and training checkpoints.
 *
 * Nothing is ever executed: a GLOBAL opcode only resolves to a handler from
 * the caller's whitelist (`UnpickleOptions.globals`), which builds plain data.
 * Any other global fails with "unsupported pickle construct: GLOBAL module.name".
 * What values become: pickle/values.ts.
 *
 * Opcodes: protocols 2-5 binary opcodes (PROTO, FRAME, MARK, STOP, POP,
 * POP_MARK, DUP, NONE, NEWTRUE, NEWFALSE, BININT, BININT1, BININT2, LONG1,
 * LONG4, BINFLOAT, BINSTRING, SHORT_BINSTRING, BINBYTES, SHORT_BINBYTES,
 * BINBYTES8, BYTEARRAY8, BINUNICODE, SHORT_BINUNICODE, BINUNICODE8,
 * EMPTY_TUPLE, TUPLE, TUPLE1-3, EMPTY_LIST, LIST, APPEND, APPENDS, EMPTY_DICT,
 * DICT, SETITEM, SETITEMS, GLOBAL, STACK_GLOBAL, REDUCE, BUILD, NEWOBJ,
 * NEWOBJ_EX, BINPUT, LONG_BINPUT, MEMOIZE, BINGET, LONG_BINGET, BINPERSID)
 * plus the text forms INT, LONG, FLOAT, PUT, GET and PERSID. Sets, the
 * extension registry (EXT*), INST/OBJ and quoted text strings are rejected.
 * The handlers live in pickle/, one group per file: scalarOps (plain values),
 * containerOps (stack, tuples, lists, dicts), memoOps, objectOps (globals,
 * construction, persistent ids); the machine they act on in pickle/machine.ts.
 */
import { CONTAINER_OPS } from './pickle/containerOps.js';
import { PickleMachine, type OpHandler } from './pickle/machine.js';
import { MEMO_OPS } from './pickle/memoOps.js';
import { OBJECT_OPS } from './pickle/objectOps.js';
import { OP, UNSUPPORTED_OPS } from './pickle/opcodes.js';
import { SCALAR_OPS } from './pickle/scalarOps.js';
import type { PickleValue, UnpickleOptions } from './pickle/values.js';

export {
  describePickleValue,
  OpaqueObject,
  opaqueGlobal,
  PickleDict,
  PickleGlobal,
  PickleObject,
  type GlobalHandler,
  type PickleContext,
  type PickleValue,
  type UnpickleOptions,
} from './pickle/values.js';

/** Every supported opcode but STOP, by byte value. */
const HANDLERS: ReadonlyMap<number, OpHandler> = new Map(
  [SCALAR_OPS, CONTAINER_OPS, MEMO_OPS, OBJECT_OPS].flatMap((group) => Object.entries(group).map(([code, h]) => [Number(code), h] as const)),
);

/**
 * Unpickles `bytes`. Throws a UserError naming `options.label` for any
 * malformed, truncated or unsupported input.
 */
export function unpickle(bytes: Uint8Array, options: UnpickleOptions): PickleValue {
  const m = new PickleMachine(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength), options);
  for (;;) {
    m.opStart = m.pos;
    if (m.pos >= m.buf.length) throw m.error('pickle data is truncated (no STOP opcode)');
    const code = m.buf[m.pos++]!;
    if (code === OP.STOP) return m.pop();
    const handler = HANDLERS.get(code);
    if (handler) {
      handler(m);
      continue;
    }
    const known = UNSUPPORTED_OPS[code];
    throw m.error(
      known
        ? `unsupported pickle construct: opcode ${known} at byte ${m.opStart}`
        : `corrupt pickle (unknown opcode 0x${code.toString(16).padStart(2, '0')} at byte ${m.opStart})`,
    );
  }
}
