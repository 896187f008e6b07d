/**
 * A safe, data-only unpickler for the subset of the pickle format that
 * torch.save writes for state dicts and training checkpoints.
 *
 * Nothing is ever executed: a GLOBAL opcode only resolves to a handler from
 * the caller's whitelist (`UnpickleOptions.globals`), which builds plain data.
 * Any other global fails with "unsupported pickle construct: GLOBAL module.name".
 *
 * Values: None -> null, bool -> boolean, int -> number (bigint beyond 2^53),
 * float -> number, str -> string, bytes -> Uint8Array, list -> array,
 * tuple -> frozen array, dict -> PickleDict (a Map), anything a whitelisted
 * global builds -> a PickleObject subclass.
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
 */
import { UserError } from '../util/errors.js';

/** Base class for values built by whitelisted globals or persistent ids. */
export abstract class PickleObject {
  /** 'module.name' of the global that built this object (for messages). */
  abstract readonly typeName: string;
  /** Applies a BUILD opcode's state. The default refuses. */
  setState(state: PickleValue, ctx: PickleContext): void {
    void state;
    throw ctx.error(`unsupported pickle construct: BUILD on ${this.typeName}`);
  }
}

/**
 * A Python dict or OrderedDict. Keys are compared like JavaScript Map keys,
 * which is value equality for strings, numbers, bigints, booleans and null.
 */
export class PickleDict extends Map<PickleValue, PickleValue> {
  /** Attributes set by BUILD (torch stores `_metadata` on state-dict OrderedDicts). */
  attributes: PickleValue | undefined;
  constructor(readonly typeName: 'dict' | 'collections.OrderedDict' = 'dict') {
    super();
  }
}

export type PickleValue =
  | null
  | boolean
  | number
  | bigint
  | string
  | Uint8Array
  | PickleValue[]
  | PickleDict
  | PickleObject;

/** An object whose type is whitelisted as harmless but not interpreted (e.g. argparse.Namespace). */
export class OpaqueObject extends PickleObject {
  state: PickleValue | undefined;
  constructor(
    readonly typeName: string,
    readonly args: readonly PickleValue[],
  ) {
    super();
  }
  override setState(state: PickleValue): void {
    this.state = state;
  }
}

/** A reference to a whitelisted global, as pushed by GLOBAL / STACK_GLOBAL. */
export class PickleGlobal extends PickleObject {
  constructor(
    readonly typeName: string,
    readonly handler: GlobalHandler,
  ) {
    super();
  }
}

/** Passed to handlers so their errors name the file and the position. */
export interface PickleContext {
  /** A UserError whose message names the pickle being read. */
  error(message: string): UserError;
}

/** How a whitelisted global is applied. Missing methods mean "not allowed". */
export interface GlobalHandler {
  /** REDUCE: `global(*args)`. */
  call?(args: readonly PickleValue[], ctx: PickleContext): PickleValue;
  /** NEWOBJ / NEWOBJ_EX: `cls.__new__(cls, *args)`. */
  newObject?(args: readonly PickleValue[], ctx: PickleContext): PickleValue;
}

export interface UnpickleOptions {
  /** Names the pickle in error messages (e.g. "model.pth (archive/data.pkl)"). */
  label: string;
  /** Whitelist, keyed 'module.name'. `collections.OrderedDict` and `builtins.dict` are always allowed. */
  globals?: ReadonlyMap<string, GlobalHandler>;
  /** Resolves BINPERSID / PERSID ids; without it they are rejected. */
  persistentLoad?: (pid: PickleValue, ctx: PickleContext) => PickleValue;
}

/** A handler that builds an OpaqueObject for both REDUCE and NEWOBJ. */
export function opaqueGlobal(typeName: string): GlobalHandler {
  return {
    call: (args) => new OpaqueObject(typeName, args),
    newObject: (args) => new OpaqueObject(typeName, args),
  };
}

const dictHandler = (typeName: 'dict' | 'collections.OrderedDict'): GlobalHandler => {
  const make = (args: readonly PickleValue[], ctx: PickleContext): PickleDict => {
    const d = new PickleDict(typeName);
    if (args.length === 0) return d;
    const items = args[0];
    if (args.length === 1 && Array.isArray(items)) {
      for (const pair of items) {
        if (!Array.isArray(pair) || pair.length !== 2) {
          throw ctx.error(`unsupported pickle construct: ${typeName} built from a non-pair item`);
        }
        d.set(pair[0]!, pair[1]!);
      }
      return d;
    }
    throw ctx.error(`unsupported pickle construct: ${typeName} with ${args.length} arguments`);
  };
  return { call: make, newObject: make };
};

const BUILTIN_GLOBALS: ReadonlyMap<string, GlobalHandler> = new Map([
  ['collections.OrderedDict', dictHandler('collections.OrderedDict')],
  ['builtins.dict', dictHandler('dict')],
  ['__builtin__.dict', dictHandler('dict')],
]);

/** Returns a short description of a value's type, for error messages. */
export function describePickleValue(v: PickleValue): string {
  if (v === null) return 'None';
  if (typeof v === 'boolean') return 'bool';
  if (typeof v === 'number') return Number.isInteger(v) ? 'int' : 'float';
  if (typeof v === 'bigint') return 'int';
  if (typeof v === 'string') return 'str';
  if (v instanceof Uint8Array) return 'bytes';
  if (Array.isArray(v)) return Object.isFrozen(v) ? 'tuple' : 'list';
  if (v instanceof PickleDict) return v.typeName;
  return `${v.typeName} object`;
}

function op(code: string | number): number {
  return typeof code === 'number' ? code : code.charCodeAt(0);
}

const OP = {
  PROTO: op(0x80),
  FRAME: op(0x95),
  STOP: op('.'),
  MARK: op('('),
  POP: op('0'),
  POP_MARK: op('1'),
  DUP: op('2'),
  NONE: op('N'),
  NEWTRUE: op(0x88),
  NEWFALSE: op(0x89),
  INT: op('I'),
  LONG: op('L'),
  FLOAT: op('F'),
  BININT: op('J'),
  BININT1: op('K'),
  BININT2: op('M'),
  LONG1: op(0x8a),
  LONG4: op(0x8b),
  BINFLOAT: op('G'),
  BINSTRING: op('T'),
  SHORT_BINSTRING: op('U'),
  BINBYTES: op('B'),
  SHORT_BINBYTES: op('C'),
  BINBYTES8: op(0x8e),
  BYTEARRAY8: op(0x96),
  BINUNICODE: op('X'),
  SHORT_BINUNICODE: op(0x8c),
  BINUNICODE8: op(0x8d),
  EMPTY_TUPLE: op(')'),
  TUPLE: op('t'),
  TUPLE1: op(0x85),
  TUPLE2: op(0x86),
  TUPLE3: op(0x87),
  EMPTY_LIST: op(']'),
  LIST: op('l'),
  APPEND: op('a'),
  APPENDS: op('e'),
  EMPTY_DICT: op('}'),
  DICT: op('d'),
  SETITEM: op('s'),
  SETITEMS: op('u'),
  GLOBAL: op('c'),
  STACK_GLOBAL: op(0x93),
  REDUCE: op('R'),
  BUILD: op('b'),
  NEWOBJ: op(0x81),
  NEWOBJ_EX: op(0x92),
  PUT: op('p'),
  BINPUT: op('q'),
  LONG_BINPUT: op('r'),
  MEMOIZE: op(0x94),
  GET: op('g'),
  BINGET: op('h'),
  LONG_BINGET: op('j'),
  PERSID: op('P'),
  BINPERSID: op('Q'),
} as const;

/** Known-but-unsupported opcodes, named in the error. */
const UNSUPPORTED_OPS: Record<number, string> = {
  0x53: 'STRING',
  0x56: 'UNICODE',
  0x69: 'INST',
  0x6f: 'OBJ',
  0x82: 'EXT1',
  0x83: 'EXT2',
  0x84: 'EXT4',
  0x8f: 'EMPTY_SET',
  0x90: 'ADDITEMS',
  0x91: 'FROZENSET',
  0x97: 'NEXT_BUFFER',
  0x98: 'READONLY_BUFFER',
};

/** Marks the start of a MARK-delimited group on the stack. */
const MARK = Symbol('mark');
type StackItem = PickleValue | typeof MARK;

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

/**
 * Unpickles `bytes`. Throws a UserError naming `options.label` for any
 * malformed, truncated or unsupported input.
 */
export function unpickle(bytes: Uint8Array, options: UnpickleOptions): PickleValue {
  const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const globals = options.globals ?? new Map<string, GlobalHandler>();
  let pos = 0;
  let opStart = 0;
  const stack: StackItem[] = [];
  const marks: number[] = [];
  const memo = new Map<number, PickleValue>();

  const ctx: PickleContext = {
    error: (message: string) => new UserError(`${options.label}: ${message}`),
  };
  const corrupt = (what: string): UserError =>
    ctx.error(`corrupt pickle (${what} at byte ${opStart})`);

  const need = (n: number): void => {
    if (n < 0 || pos + n > buf.length) {
      throw ctx.error(`pickle data is truncated (needed ${n} more bytes at byte ${pos} of ${buf.length})`);
    }
  };
  const take = (n: number): Buffer => {
    need(n);
    const out = buf.subarray(pos, pos + n);
    pos += n;
    return out;
  };
  const u8 = (): number => {
    need(1);
    return buf[pos++]!;
  };
  const u16 = (): number => {
    need(2);
    const v = buf.readUInt16LE(pos);
    pos += 2;
    return v;
  };
  const u32 = (): number => {
    need(4);
    const v = buf.readUInt32LE(pos);
    pos += 4;
    return v;
  };
  const i32 = (): number => {
    need(4);
    const v = buf.readInt32LE(pos);
    pos += 4;
    return v;
  };
  const u64 = (): number => {
    need(8);
    const v = buf.readBigUInt64LE(pos);
    pos += 8;
    if (v > BigInt(buf.length)) {
      throw ctx.error(`pickle data is truncated (a length of ${v} bytes exceeds the data)`);
    }
    return Number(v);
  };
  const line = (): string => {
    const end = buf.indexOf(0x0a, pos);
    if (end < 0) throw ctx.error('pickle data is truncated (unterminated text line)');
    const s = buf.toString('latin1', pos, end);
    pos = end + 1;
    return s;
  };

  const push = (v: PickleValue): void => {
    stack.push(v);
  };
  const pop = (): PickleValue => {
    if (stack.length === 0 || (marks.length > 0 && stack.length <= marks[marks.length - 1]!)) {
      throw corrupt('stack underflow');
    }
    const v = stack.pop()!;
    if (v === MARK) throw corrupt('unexpected mark');
    return v;
  };
  const top = (): PickleValue => {
    const v = stack[stack.length - 1];
    if (v === undefined || v === MARK) throw corrupt('stack underflow');
    return v;
  };
  const popMark = (): PickleValue[] => {
    const m = marks.pop();
    if (m === undefined) throw corrupt('no MARK');
    const items = stack.splice(m);
    if (items.shift() !== MARK) throw corrupt('mark mismatch');
    return items as PickleValue[];
  };
  const tuple = (items: PickleValue[]): PickleValue[] => Object.freeze(items) as PickleValue[];
  const asDict = (v: PickleValue, opname: string): PickleDict => {
    if (!(v instanceof PickleDict)) {
      throw ctx.error(`unsupported pickle construct: ${opname} on ${describePickleValue(v)}`);
    }
    return v;
  };
  const asList = (v: PickleValue, opname: string): PickleValue[] => {
    if (!Array.isArray(v) || Object.isFrozen(v)) {
      throw ctx.error(`unsupported pickle construct: ${opname} on ${describePickleValue(v)}`);
    }
    return v;
  };
  const resolveGlobal = (module: string, name: string): PickleGlobal => {
    const key = `${module}.${name}`;
    const handler = globals.get(key) ?? BUILTIN_GLOBALS.get(key);
    if (!handler) {
      throw ctx.error(
        `unsupported pickle construct: GLOBAL ${key} (only plain data and PyTorch tensors are accepted; nothing in the file is executed)`,
      );
    }
    return new PickleGlobal(key, handler);
  };
  const asGlobal = (v: PickleValue, opname: string): PickleGlobal => {
    if (!(v instanceof PickleGlobal)) {
      throw ctx.error(`unsupported pickle construct: ${opname} on ${describePickleValue(v)}`);
    }
    return v;
  };
  const asArgs = (v: PickleValue, opname: string): PickleValue[] => {
    if (!Array.isArray(v)) throw corrupt(`${opname} arguments are a ${describePickleValue(v)}, not a tuple`);
    return v;
  };
  const persistent = (pid: PickleValue): PickleValue => {
    if (!options.persistentLoad) {
      throw ctx.error('unsupported pickle construct: persistent id (not expected in this file)');
    }
    return options.persistentLoad(pid, ctx);
  };
  const memoPut = (idx: number): void => {
    memo.set(idx, top());
  };
  const memoGet = (idx: number): void => {
    const v = memo.get(idx);
    if (v === undefined) throw corrupt(`memo entry ${idx} is missing`);
    push(v);
  };
  const setItems = (dict: PickleDict, items: PickleValue[]): void => {
    if (items.length % 2 !== 0) throw corrupt('odd number of SETITEMS items');
    for (let i = 0; i < items.length; i += 2) dict.set(items[i]!, items[i + 1]!);
  };
  const textInt = (s: string, opname: string): number | bigint => {
    const t = s.endsWith('L') ? s.slice(0, -1) : s;
    if (!/^[+-]?\d+$/.test(t)) throw corrupt(`bad ${opname} literal '${s}'`);
    return intValue(BigInt(t));
  };

  for (;;) {
    opStart = pos;
    if (pos >= buf.length) throw ctx.error('pickle data is truncated (no STOP opcode)');
    const code = buf[pos++]!;
    switch (code) {
      case OP.PROTO: {
        const proto = u8();
        if (proto > 5) throw ctx.error(`unsupported pickle protocol ${proto}`);
        break;
      }
      case OP.FRAME:
        u64();
        break;
      case OP.STOP: {
        const result = pop();
        return result;
      }
      case OP.MARK:
        marks.push(stack.length);
        stack.push(MARK);
        break;
      case OP.POP:
        if (stack.length > 0 && stack[stack.length - 1] === MARK) popMark();
        else pop();
        break;
      case OP.POP_MARK:
        popMark();
        break;
      case OP.DUP:
        push(top());
        break;
      case OP.NONE:
        push(null);
        break;
      case OP.NEWTRUE:
        push(true);
        break;
      case OP.NEWFALSE:
        push(false);
        break;
      case OP.INT: {
        const s = line();
        if (s === '00') push(false);
        else if (s === '01') push(true);
        else push(textInt(s, 'INT'));
        break;
      }
      case OP.LONG:
        push(textInt(line(), 'LONG'));
        break;
      case OP.FLOAT: {
        const s = line().trim();
        const special: Record<string, number> = { inf: Infinity, '-inf': -Infinity, nan: NaN };
        const v = s in special ? special[s]! : s === '' ? NaN : Number(s);
        if (Number.isNaN(v) && s !== 'nan') throw corrupt(`bad FLOAT literal '${s}'`);
        push(v);
        break;
      }
      case OP.BININT:
        push(i32());
        break;
      case OP.BININT1:
        push(u8());
        break;
      case OP.BININT2:
        push(u16());
        break;
      case OP.LONG1:
        push(decodeLong(take(u8())));
        break;
      case OP.LONG4: {
        const n = i32();
        if (n < 0) throw corrupt('negative LONG4 length');
        push(decodeLong(take(n)));
        break;
      }
      case OP.BINFLOAT: {
        need(8);
        push(buf.readDoubleBE(pos));
        pos += 8;
        break;
      }
      case OP.BINSTRING: {
        const n = i32();
        if (n < 0) throw corrupt('negative BINSTRING length');
        push(take(n).toString('latin1'));
        break;
      }
      case OP.SHORT_BINSTRING:
        push(take(u8()).toString('latin1'));
        break;
      case OP.BINBYTES:
        push(new Uint8Array(take(u32())));
        break;
      case OP.SHORT_BINBYTES:
        push(new Uint8Array(take(u8())));
        break;
      case OP.BINBYTES8:
      case OP.BYTEARRAY8:
        push(new Uint8Array(take(u64())));
        break;
      case OP.BINUNICODE:
        push(take(u32()).toString('utf8'));
        break;
      case OP.SHORT_BINUNICODE:
        push(take(u8()).toString('utf8'));
        break;
      case OP.BINUNICODE8:
        push(take(u64()).toString('utf8'));
        break;
      case OP.EMPTY_TUPLE:
        push(tuple([]));
        break;
      case OP.TUPLE:
        push(tuple(popMark()));
        break;
      case OP.TUPLE1: {
        const a = pop();
        push(tuple([a]));
        break;
      }
      case OP.TUPLE2: {
        const b = pop();
        const a = pop();
        push(tuple([a, b]));
        break;
      }
      case OP.TUPLE3: {
        const c = pop();
        const b = pop();
        const a = pop();
        push(tuple([a, b, c]));
        break;
      }
      case OP.EMPTY_LIST:
        push([]);
        break;
      case OP.LIST:
        push(popMark());
        break;
      case OP.APPEND: {
        const v = pop();
        asList(top(), 'APPEND').push(v);
        break;
      }
      case OP.APPENDS: {
        const items = popMark();
        asList(top(), 'APPENDS').push(...items);
        break;
      }
      case OP.EMPTY_DICT:
        push(new PickleDict());
        break;
      case OP.DICT: {
        const d = new PickleDict();
        setItems(d, popMark());
        push(d);
        break;
      }
      case OP.SETITEM: {
        const v = pop();
        const k = pop();
        asDict(top(), 'SETITEM').set(k, v);
        break;
      }
      case OP.SETITEMS: {
        const items = popMark();
        setItems(asDict(top(), 'SETITEMS'), items);
        break;
      }
      case OP.GLOBAL: {
        const module = line();
        const name = line();
        push(resolveGlobal(module, name));
        break;
      }
      case OP.STACK_GLOBAL: {
        const name = pop();
        const module = pop();
        if (typeof module !== 'string' || typeof name !== 'string') throw corrupt('STACK_GLOBAL on non-strings');
        push(resolveGlobal(module, name));
        break;
      }
      case OP.REDUCE: {
        const args = asArgs(pop(), 'REDUCE');
        const fn = asGlobal(pop(), 'REDUCE');
        if (!fn.handler.call) throw ctx.error(`unsupported pickle construct: REDUCE ${fn.typeName}`);
        push(fn.handler.call(args, ctx));
        break;
      }
      case OP.NEWOBJ: {
        const args = asArgs(pop(), 'NEWOBJ');
        const cls = asGlobal(pop(), 'NEWOBJ');
        if (!cls.handler.newObject) throw ctx.error(`unsupported pickle construct: NEWOBJ ${cls.typeName}`);
        push(cls.handler.newObject(args, ctx));
        break;
      }
      case OP.NEWOBJ_EX: {
        const kwargs = pop();
        const args = asArgs(pop(), 'NEWOBJ_EX');
        const cls = asGlobal(pop(), 'NEWOBJ_EX');
        if (!(kwargs instanceof PickleDict) || kwargs.size > 0 || !cls.handler.newObject) {
          throw ctx.error(`unsupported pickle construct: NEWOBJ_EX ${cls.typeName}`);
        }
        push(cls.handler.newObject(args, ctx));
        break;
      }
      case OP.BUILD: {
        const state = pop();
        const obj = top();
        if (obj instanceof PickleDict) {
          obj.attributes = state;
        } else if (obj instanceof PickleObject) {
          obj.setState(state, ctx);
        } else {
          throw ctx.error(`unsupported pickle construct: BUILD on ${describePickleValue(obj)}`);
        }
        break;
      }
      case OP.PUT: {
        const s = line();
        if (!/^\d+$/.test(s)) throw corrupt(`bad PUT index '${s}'`);
        memoPut(Number(s));
        break;
      }
      case OP.BINPUT:
        memoPut(u8());
        break;
      case OP.LONG_BINPUT:
        memoPut(u32());
        break;
      case OP.MEMOIZE:
        memoPut(memo.size);
        break;
      case OP.GET: {
        const s = line();
        if (!/^\d+$/.test(s)) throw corrupt(`bad GET index '${s}'`);
        memoGet(Number(s));
        break;
      }
      case OP.BINGET:
        memoGet(u8());
        break;
      case OP.LONG_BINGET:
        memoGet(u32());
        break;
      case OP.PERSID:
        push(persistent(line()));
        break;
      case OP.BINPERSID:
        push(persistent(pop()));
        break;
      default: {
        const known = UNSUPPORTED_OPS[code];
        throw ctx.error(
          known
            ? `unsupported pickle construct: opcode ${known} at byte ${opStart}`
            : `corrupt pickle (unknown opcode 0x${code.toString(16).padStart(2, '0')} at byte ${opStart})`,
        );
      }
    }
  }
}
