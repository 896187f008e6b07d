/** The opcodes that store the top of the stack in the memo and fetch it back (shared references). */
import type { OpHandler, PickleMachine } from './machine.js';
import { OP } from './opcodes.js';

function textIndex(m: PickleMachine, opname: string): number {
  const s = m.line();
  if (!/^\d+$/.test(s)) throw m.corrupt(`bad ${opname} index '${s}'`);
  return Number(s);
}

export const MEMO_OPS: Record<number, OpHandler> = {
  [OP.PUT]: (m) => m.memoPut(textIndex(m, 'PUT')),
  [OP.BINPUT]: (m) => m.memoPut(m.u8()),
  [OP.LONG_BINPUT]: (m) => m.memoPut(m.u32()),
  [OP.MEMOIZE]: (m) => m.memoPut(m.memoSize),
  [OP.GET]: (m) => m.memoGet(textIndex(m, 'GET')),
  [OP.BINGET]: (m) => m.memoGet(m.u8()),
  [OP.LONG_BINGET]: (m) => m.memoGet(m.u32()),
};
