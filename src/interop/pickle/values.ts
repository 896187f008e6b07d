/**
 * What an unpickle builds: plain values, and objects only through the caller's whitelist of globals.
 *
 * None -> null, bool -> boolean, int -> number (bigint beyond 2^53), float -> number, str -> string,
 * bytes -> Uint8Array, list -> array, tuple -> frozen array, dict -> PickleDict (a Map), anything a whitelisted
 * global builds -> a PickleObject subclass.
 */
import type { UserError } from '../../util/errors.js';

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
export const BUILTIN_GLOBALS: ReadonlyMap<string, GlobalHandler> = new Map([
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
