/**
 * The opcodes that reach beyond plain data: globals, calls, object construction, BUILD and persistent ids. Each
 * resolves only to what the caller whitelisted (PickleMachine.resolveGlobal, .persistent): nothing is executed.
 */
import type { OpHandler, PickleMachine } from './machine.js';
import { OP } from './opcodes.js';
import { describePickleValue, PickleDict, PickleGlobal, PickleObject, type PickleValue } from './values.js';

function asGlobal(m: PickleMachine, v: PickleValue, opname: string): PickleGlobal {
  if (!(v instanceof PickleGlobal)) throw m.unsupportedOn(opname, v);
  return v;
}

function asArgs(m: PickleMachine, v: PickleValue, opname: string): PickleValue[] {
  if (!Array.isArray(v)) throw m.corrupt(`${opname} arguments are a ${describePickleValue(v)}, not a tuple`);
  return v;
}

export const OBJECT_OPS: Record<number, OpHandler> = {
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
