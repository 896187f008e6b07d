/**
 * A safe, data-only unpickler for the subset of the pickle format that
 * torch.save writes for state dicts and training checkpoints.
 *
 * Nothing is ever executed: a GLOBAL opcode only resolves to a handler from
 * the caller's whitelist (`UnpickleOptions.globals`), which builds plain data.
 * Any other global fails with "unsupported pickle construct: GLOBAL module.name".
 * What values become: see "Values" below.
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
 *
 * One file, in the order a reader needs it: the values an unpickle builds, the
 * opcodes, the machine (input, stack, memo), the handlers in four groups (plain
 * values; stack and containers; memo; globals, construction and persistent ids)
 * and the loop that runs them. Kept hand-written, not a library: it is the
 * safety boundary for untrusted .pth files.
 */
import { UserError } from '../util/errors.js';

// ---- values --------------------------------------------------------------------------------------------------------

/**
 * What an unpickle builds: plain values, and objects only through the caller's whitelist of globals.
 *
 * None -> null, bool -> boolean, int -> number (bigint beyond 2^53), float -> number, str -> string,
 * bytes -> Uint8Array, list -> array, tuple -> frozen array, dict -> PickleDict (a Map), anything a whitelisted
 * global builds -> a PickleObject subclass.
 */
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

export type PickleValue = null | boolean | number | bigint | string | Uint8Array | PickleValue[] | PickleDict | PickleObject;

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

/** The globals every unpickle accepts, whatever the caller's whitelist. */
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

// ---- opcodes -------------------------------------------------------------------------------------------------------

/** The byte values of the pickle opcodes we read, and of those we know but refuse (named in the error). */
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

// ---- the machine ---------------------------------------------------------------------------------------------------

/**
 * The state of one unpickle, as the opcode handlers see it: the input with its bounded readers, the stack with its
 * MARK groups, the memo, and errors that name the pickle and the position.
 */
/** Marks the start of a MARK-delimited group on the stack. */
const MARK = Symbol('mark');
type StackItem = PickleValue | typeof MARK;

/** What one opcode does to the machine (its argument bytes, if any, follow at `pos`). */
type OpHandler = (m: PickleMachine) => void;

class PickleMachine implements PickleContext {
  /** the next byte to read */
  pos = 0;
  /** where the current opcode starts (for messages) */
  opStart = 0;
  private readonly stack: StackItem[] = [];
  private readonly marks: number[] = [];
  private readonly memo = new Map<number, PickleValue>();
  private readonly globals: ReadonlyMap<string, GlobalHandler>;

  constructor(
    readonly buf: Buffer,
    private readonly options: UnpickleOptions,
  ) {
    this.globals = options.globals ?? new Map<string, GlobalHandler>();
  }

  // ---- errors ----

  error(message: string): UserError {
    return new UserError(`${this.options.label}: ${message}`);
  }

  corrupt(what: string): UserError {
    return this.error(`corrupt pickle (${what} at byte ${this.opStart})`);
  }

  /** An opcode applied to a value it does not take. */
  unsupportedOn(opname: string, v: PickleValue): UserError {
    return this.error(`unsupported pickle construct: ${opname} on ${describePickleValue(v)}`);
  }

  // ---- the input ----

  need(n: number): void {
    if (n < 0 || this.pos + n > this.buf.length) {
      throw this.error(`pickle data is truncated (needed ${n} more bytes at byte ${this.pos} of ${this.buf.length})`);
    }
  }

  take(n: number): Buffer {
    this.need(n);
    const out = this.buf.subarray(this.pos, this.pos + n);
    this.pos += n;
    return out;
  }

  u8(): number {
    this.need(1);
    return this.buf[this.pos++]!;
  }

  /** A fixed-size field of `n` bytes, read by `read` at its offset. */
  private fixed<T>(n: number, read: (at: number) => T): T {
    this.need(n);
    const v = read(this.pos);
    this.pos += n;
    return v;
  }

  u16(): number {
    return this.fixed(2, (at) => this.buf.readUInt16LE(at));
  }

  u32(): number {
    return this.fixed(4, (at) => this.buf.readUInt32LE(at));
  }

  i32(): number {
    return this.fixed(4, (at) => this.buf.readInt32LE(at));
  }

  /** An 8-byte length, refused when it exceeds the whole input (it could never be read). */
  u64(): number {
    const v = this.fixed(8, (at) => this.buf.readBigUInt64LE(at));
    if (v > BigInt(this.buf.length)) {
      throw this.error(`pickle data is truncated (a length of ${v} bytes exceeds the data)`);
    }
    return Number(v);
  }

  f64be(): number {
    return this.fixed(8, (at) => this.buf.readDoubleBE(at));
  }

  /** A newline-terminated text argument (the text opcodes). */
  line(): string {
    const end = this.buf.indexOf(0x0a, this.pos);
    if (end < 0) throw this.error('pickle data is truncated (unterminated text line)');
    const s = this.buf.toString('latin1', this.pos, end);
    this.pos = end + 1;
    return s;
  }

  // ---- the stack ----

  push(v: PickleValue): void {
    this.stack.push(v);
  }

  pop(): PickleValue {
    const { stack, marks } = this;
    if (stack.length === 0 || (marks.length > 0 && stack.length <= marks[marks.length - 1]!)) {
      throw this.corrupt('stack underflow');
    }
    const v = stack.pop()!;
    if (v === MARK) throw this.corrupt('unexpected mark');
    return v;
  }

  top(): PickleValue {
    const v = this.stack[this.stack.length - 1];
    if (v === undefined || v === MARK) throw this.corrupt('stack underflow');
    return v;
  }

  mark(): void {
    this.marks.push(this.stack.length);
    this.stack.push(MARK);
  }

  /** Whether the top of the stack is a MARK (POP then drops the whole group). */
  atMark(): boolean {
    return this.stack.length > 0 && this.stack[this.stack.length - 1] === MARK;
  }

  /** The items above the last MARK, which goes with them. */
  popMark(): PickleValue[] {
    const m = this.marks.pop();
    if (m === undefined) throw this.corrupt('no MARK');
    const items = this.stack.splice(m);
    if (items.shift() !== MARK) throw this.corrupt('mark mismatch');
    return items as PickleValue[];
  }

  // ---- the memo ----

  memoPut(idx: number): void {
    this.memo.set(idx, this.top());
  }

  memoGet(idx: number): void {
    const v = this.memo.get(idx);
    if (v === undefined) throw this.corrupt(`memo entry ${idx} is missing`);
    this.push(v);
  }

  get memoSize(): number {
    return this.memo.size;
  }

  // ---- globals and persistent ids: only what the caller allows ----

  resolveGlobal(module: string, name: string): PickleGlobal {
    const key = `${module}.${name}`;
    const handler = this.globals.get(key) ?? BUILTIN_GLOBALS.get(key);
    if (!handler) {
      throw this.error(`unsupported pickle construct: GLOBAL ${key} (only plain data and PyTorch tensors are accepted; nothing in the file is executed)`);
    }
    return new PickleGlobal(key, handler);
  }

  persistent(pid: PickleValue): PickleValue {
    if (!this.options.persistentLoad) {
      throw this.error('unsupported pickle construct: persistent id (not expected in this file)');
    }
    return this.options.persistentLoad(pid, this);
  }

  // ---- typed views of stack values ----

  asDict(v: PickleValue, opname: string): PickleDict {
    if (!(v instanceof PickleDict)) throw this.unsupportedOn(opname, v);
    return v;
  }

  asList(v: PickleValue, opname: string): PickleValue[] {
    if (!Array.isArray(v) || Object.isFrozen(v)) throw this.unsupportedOn(opname, v);
    return v;
  }
}

// ---- plain values --------------------------------------------------------------------------------------------------

/** The opcodes that push one plain value read from the input: constants, integers, floats, strings and bytes. */
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

const SCALAR_OPS: Record<number, OpHandler> = {
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

// ---- the stack and containers --------------------------------------------------------------------------------------

/** The opcodes that move stack items or group them into tuples, lists and dicts. */
const tuple = (items: PickleValue[]): PickleValue[] => Object.freeze(items) as PickleValue[];

function setItems(m: PickleMachine, dict: PickleDict, items: PickleValue[]): void {
  if (items.length % 2 !== 0) throw m.corrupt('odd number of SETITEMS items');
  for (let i = 0; i < items.length; i += 2) dict.set(items[i]!, items[i + 1]!);
}

const CONTAINER_OPS: Record<number, OpHandler> = {
  // the stack itself
  [OP.MARK]: (m) => m.mark(),
  [OP.POP]: (m) => {
    if (m.atMark()) m.popMark();
    else m.pop();
  },
  [OP.POP_MARK]: (m) => void m.popMark(),
  [OP.DUP]: (m) => m.push(m.top()),

  // tuples (frozen arrays)
  [OP.EMPTY_TUPLE]: (m) => m.push(tuple([])),
  [OP.TUPLE]: (m) => m.push(tuple(m.popMark())),
  [OP.TUPLE1]: (m) => {
    const a = m.pop();
    m.push(tuple([a]));
  },
  [OP.TUPLE2]: (m) => {
    const b = m.pop();
    const a = m.pop();
    m.push(tuple([a, b]));
  },
  [OP.TUPLE3]: (m) => {
    const c = m.pop();
    const b = m.pop();
    const a = m.pop();
    m.push(tuple([a, b, c]));
  },

  // lists
  [OP.EMPTY_LIST]: (m) => m.push([]),
  [OP.LIST]: (m) => m.push(m.popMark()),
  [OP.APPEND]: (m) => {
    const v = m.pop();
    m.asList(m.top(), 'APPEND').push(v);
  },
  [OP.APPENDS]: (m) => {
    const items = m.popMark();
    m.asList(m.top(), 'APPENDS').push(...items);
  },

  // dicts
  [OP.EMPTY_DICT]: (m) => m.push(new PickleDict()),
  [OP.DICT]: (m) => {
    const d = new PickleDict();
    setItems(m, d, m.popMark());
    m.push(d);
  },
  [OP.SETITEM]: (m) => {
    const v = m.pop();
    const k = m.pop();
    m.asDict(m.top(), 'SETITEM').set(k, v);
  },
  [OP.SETITEMS]: (m) => {
    const items = m.popMark();
    setItems(m, m.asDict(m.top(), 'SETITEMS'), items);
  },
};

// ---- the memo ------------------------------------------------------------------------------------------------------

/** The opcodes that store the top of the stack in the memo and fetch it back (shared references). */
function textIndex(m: PickleMachine, opname: string): number {
  const s = m.line();
  if (!/^\d+$/.test(s)) throw m.corrupt(`bad ${opname} index '${s}'`);
  return Number(s);
}

const MEMO_OPS: Record<number, OpHandler> = {
  [OP.PUT]: (m) => m.memoPut(textIndex(m, 'PUT')),
  [OP.BINPUT]: (m) => m.memoPut(m.u8()),
  [OP.LONG_BINPUT]: (m) => m.memoPut(m.u32()),
  [OP.MEMOIZE]: (m) => m.memoPut(m.memoSize),
  [OP.GET]: (m) => m.memoGet(textIndex(m, 'GET')),
  [OP.BINGET]: (m) => m.memoGet(m.u8()),
  [OP.LONG_BINGET]: (m) => m.memoGet(m.u32()),
};

// ---- globals, construction, persistent ids -------------------------------------------------------------------------

/**
 * The opcodes that reach beyond plain data: globals, calls, object construction, BUILD and persistent ids. Each
 * resolves only to what the caller whitelisted (PickleMachine.resolveGlobal, .persistent): nothing is executed.
 */
function asGlobal(m: PickleMachine, v: PickleValue, opname: string): PickleGlobal {
  if (!(v instanceof PickleGlobal)) throw m.unsupportedOn(opname, v);
  return v;
}

function asArgs(m: PickleMachine, v: PickleValue, opname: string): PickleValue[] {
  if (!Array.isArray(v)) throw m.corrupt(`${opname} arguments are a ${describePickleValue(v)}, not a tuple`);
  return v;
}

const OBJECT_OPS: Record<number, OpHandler> = {
  [OP.GLOBAL]: (m) => {
    const module = m.line();
    const name = m.line();
    m.push(m.resolveGlobal(module, name));
  },
  [OP.STACK_GLOBAL]: (m) => {
    const name = m.pop();
    const module = m.pop();
    if (typeof module !== 'string' || typeof name !== 'string') throw m.corrupt('STACK_GLOBAL on non-strings');
    m.push(m.resolveGlobal(module, name));
  },
  [OP.REDUCE]: (m) => {
    const args = asArgs(m, m.pop(), 'REDUCE');
    const fn = asGlobal(m, m.pop(), 'REDUCE');
    if (!fn.handler.call) throw m.error(`unsupported pickle construct: REDUCE ${fn.typeName}`);
    m.push(fn.handler.call(args, m));
  },
  [OP.NEWOBJ]: (m) => {
    const args = asArgs(m, m.pop(), 'NEWOBJ');
    const cls = asGlobal(m, m.pop(), 'NEWOBJ');
    if (!cls.handler.newObject) throw m.error(`unsupported pickle construct: NEWOBJ ${cls.typeName}`);
    m.push(cls.handler.newObject(args, m));
  },
  [OP.NEWOBJ_EX]: (m) => {
    const kwargs = m.pop();
    const args = asArgs(m, m.pop(), 'NEWOBJ_EX');
    const cls = asGlobal(m, m.pop(), 'NEWOBJ_EX');
    if (!(kwargs instanceof PickleDict) || kwargs.size > 0 || !cls.handler.newObject) {
      throw m.error(`unsupported pickle construct: NEWOBJ_EX ${cls.typeName}`);
    }
    m.push(cls.handler.newObject(args, m));
  },
  [OP.BUILD]: (m) => {
    const state = m.pop();
    const obj = m.top();
    if (obj instanceof PickleDict) obj.attributes = state;
    else if (obj instanceof PickleObject) obj.setState(state, m);
    else throw m.unsupportedOn('BUILD', obj);
  },
  [OP.PERSID]: (m) => m.push(m.persistent(m.line())),
  [OP.BINPERSID]: (m) => m.push(m.persistent(m.pop())),
};

// ---- the loop ------------------------------------------------------------------------------------------------------

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
