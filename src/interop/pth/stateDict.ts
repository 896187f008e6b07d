/** Finds the state dict (names -> tensor references) in a checkpoint's top-level object, or says what is there. */
import { UserError, oneOf } from '../../util/errors.js';
import { PickleDict, describePickleValue, type PickleValue } from '../pickle.js';
import { TorchTensorRef } from './torchRefs.js';

function isStateDict(v: PickleValue | undefined): v is PickleDict {
  if (!(v instanceof PickleDict)) return false;
  for (const [k, x] of v) if (typeof k !== 'string' || !(x instanceof TorchTensorRef)) return false;
  return true;
}

function describeEntry(v: PickleValue): string {
  if (isStateDict(v)) return `state dict, ${v.size} tensors`;
  if (v instanceof TorchTensorRef) return `tensor [${v.shape.join(', ')}]`;
  return describePickleValue(v);
}

function listKeys(d: PickleDict): string {
  return oneOf([...d].map(([k, v]) => `'${String(k)}' (${describeEntry(v)})`));
}

/**
 * Picks the state dict out of a checkpoint's top-level object (see
 * loadTorchStateDict for the rules). Throws a UserError naming the file.
 */
export function selectStateDict(file: string, root: PickleValue, key: string | undefined): Map<string, TorchTensorRef> {
  let sd: PickleValue;
  let where: string;
  if (key !== undefined) {
    if (!(root instanceof PickleDict)) {
      throw new UserError(`${file}: cannot select key '${key}': the top level is not a dict (found ${describePickleValue(root)})`);
    }
    if (!root.has(key)) {
      if (isStateDict(root) && root.size > 0) {
        throw new UserError(`${file}: has no key '${key}': the file is a bare state dict of ${root.size} tensors (load it without a key)`);
      }
      throw new UserError(`${file}: has no key '${key}'; available keys: ${root.size > 0 ? listKeys(root) : '(none: the dict is empty)'}`);
    }
    sd = root.get(key)!;
    where = `'${key}'`;
  } else {
    if (!isStateDict(root)) {
      if (root instanceof PickleDict) {
        const dicts = [...root].filter(([, v]) => isStateDict(v)).map(([k]) => `'${String(k)}'`);
        throw new UserError(
          `${file}: holds a checkpoint dict, not a bare state dict; pass a key${dicts.length > 0 ? ` such as ${oneOf(dicts)}` : ''} (available keys: ${listKeys(root)})`,
        );
      }
      throw new UserError(`${file}: the top level is not a state dict, i.e. a dict of tensors (found ${describePickleValue(root)})`);
    }
    sd = root;
    where = 'the top level';
  }
  if (!(sd instanceof PickleDict)) {
    throw new UserError(`${file}: ${where} is not a state dict, i.e. a dict of tensors (found ${describeEntry(sd)})`);
  }
  const out = new Map<string, TorchTensorRef>();
  for (const [name, value] of sd) {
    if (typeof name !== 'string') {
      throw new UserError(`${file}: ${where} is not a state dict (it has a non-string key ${String(name)})`);
    }
    if (!(value instanceof TorchTensorRef)) {
      throw new UserError(`${file}: ${where} is not a state dict: entry '${name}' is not a tensor (found ${describeEntry(value)})`);
    }
    out.set(name, value);
  }
  return out;
}
