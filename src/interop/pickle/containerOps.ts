/** The opcodes that move stack items or group them into tuples, lists and dicts. */
import type { OpHandler, PickleMachine } from './machine.js';
import { OP } from './opcodes.js';
import { PickleDict, type PickleValue } from './values.js';

const tuple = (items: PickleValue[]): PickleValue[] => Object.freeze(items) as PickleValue[];

function setItems(m: PickleMachine, dict: PickleDict, items: PickleValue[]): void {
  if (items.length % 2 !== 0) throw m.corrupt('odd number of SETITEMS items');
  for (let i = 0; i < items.length; i += 2) dict.set(items[i]!, items[i + 1]!);
}

export const CONTAINER_OPS: Record<number, OpHandler> = {
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
