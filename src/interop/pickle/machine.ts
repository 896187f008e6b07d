/**
 * The state of one unpickle, as the opcode handlers see it: the input with its bounded readers, the stack with its
 * MARK groups, the memo, and errors that name the pickle and the position.
 */
import { UserError } from '../../util/errors.js';
import {
  BUILTIN_GLOBALS,
  describePickleValue,
  PickleDict,
  PickleGlobal,
  type GlobalHandler,
  type PickleContext,
  type PickleValue,
  type UnpickleOptions,
} from './values.js';

/** Marks the start of a MARK-delimited group on the stack. */
const MARK = Symbol('mark');
type StackItem = PickleValue | typeof MARK;

/** What one opcode does to the machine (its argument bytes, if any, follow at `pos`). */
export type OpHandler = (m: PickleMachine) => void;

export class PickleMachine implements PickleContext {
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
