import { describe, expect, it } from 'vitest';
import { OpaqueObject, PickleDict, opaqueGlobal, unpickle, type PickleValue } from '../../src/interop/pickle.js';
import { TORCH_GLOBALS } from '../../src/interop/pth.js';
import { PickleBuilder, expectUserError } from './helpers.js';

const hex = (s: string): Buffer => Buffer.from(s, 'hex');

// Generated with CPython 3.11:
//   obj = {'a': [1, -2, 3.5, True, False, None, 'é€', b'xy', (1, 2), ()], 'big': 2**70,
//          'neg': -300, 'i4': 100000, 'ni': -5, 'f': -0.25, 't3': (1, 2, 3), 't4': (1, 2, 3, 4)}
//   pickle.dumps(obj, protocol=P).hex()
const OBJ_P2 =
  '80027d71002858010000006171015d7102284b014afeffffff47400c00000000000088894e5805000000c3a9e282ac7103635f636f646563730a656e636f64650a710458020000007879710558060000006c6174696e3171068671075271084b014b0286710929655803000000626967710a8a0900000000000000004058030000006e6567710b4ad4feffff58020000006934710c4aa086010058020000006e69710d4afbffffff580100000066710e47bfd000000000000058020000007433710f4b014b024b03877110580200000074347111284b014b024b034b04747112752e';
const OBJ_P4 =
  '8004958e000000000000007d94288c0161945d94284b014afeffffff47400c00000000000088894e8c05c3a9e282ac9443027879944b014b02869429658c03626967948a090000000000000000408c036e6567944ad4feffff8c026934944aa08601008c026e69944afbffffff8c01669447bfd00000000000008c027433944b014b024b0387948c02743494284b014b024b034b047494752e';
// pickle.dumps(OrderedDict([('x', 1), ('y', [2, 2])]), protocol=2 / 4)
const OD_P2 = '800263636f6c6c656374696f6e730a4f726465726564446963740a7100295271012858010000007871024b0158010000007971035d7104284b024b0265752e';
const OD_P4 = '80049536000000000000008c0b636f6c6c656374696f6e73948c0b4f72646572656444696374949394295294288c0178944b018c0179945d94284b024b0265752e';
// l = [1]; pickle.dumps({'p': l, 'q': l}, protocol=2)
const SHARED_P2 = '80027d71002858010000007071015d71024b016158010000007171036802752e';

function checkObj(v: PickleValue): void {
  expect(v).toBeInstanceOf(PickleDict);
  const d = v as PickleDict;
  expect([...d.keys()]).toEqual(['a', 'big', 'neg', 'i4', 'ni', 'f', 't3', 't4']);
  const a = d.get('a') as PickleValue[];
  expect(a.slice(0, 7)).toEqual([1, -2, 3.5, true, false, null, 'é€']);
  expect(a[7]).toEqual(new Uint8Array([0x78, 0x79]));
  expect(a[8]).toEqual([1, 2]);
  expect(Object.isFrozen(a[8])).toBe(true);
  expect(a[9]).toEqual([]);
  expect(d.get('big')).toBe(2n ** 70n);
  expect(d.get('neg')).toBe(-300);
  expect(d.get('i4')).toBe(100000);
  expect(d.get('ni')).toBe(-5);
  expect(d.get('f')).toBe(-0.25);
  expect(d.get('t3')).toEqual([1, 2, 3]);
  expect(d.get('t4')).toEqual([1, 2, 3, 4]);
}

describe('unpickle', () => {
  it('reads protocol 2 data (bytes via the whitelisted _codecs.encode)', () => {
    checkObj(unpickle(hex(OBJ_P2), { label: 'p2', globals: TORCH_GLOBALS }));
  });

  it('reads protocol 4 data (FRAME, MEMOIZE, SHORT_BINUNICODE, SHORT_BINBYTES)', () => {
    checkObj(unpickle(hex(OBJ_P4), { label: 'p4' }));
  });

  it('refuses _codecs.encode unless whitelisted', () => {
    expectUserError(() => unpickle(hex(OBJ_P2), { label: 'p2' }), 'p2', 'GLOBAL _codecs.encode');
  });

  it('builds OrderedDicts via GLOBAL and STACK_GLOBAL', () => {
    for (const h of [OD_P2, OD_P4]) {
      const d = unpickle(hex(h), { label: 'od' }) as PickleDict;
      expect(d).toBeInstanceOf(PickleDict);
      expect(d.typeName).toBe('collections.OrderedDict');
      expect([...d]).toEqual([
        ['x', 1],
        ['y', [2, 2]],
      ]);
    }
  });

  it('keeps shared references shared (memo)', () => {
    const d = unpickle(hex(SHARED_P2), { label: 's' }) as PickleDict;
    expect(d.get('p')).toBe(d.get('q'));
  });

  it('refuses a forbidden GLOBAL (os.system) without running anything', () => {
    // cos\nsystem\n(X\x02\x00\x00\x00lstR.  ==  os.system('ls')
    const bytes = new PickleBuilder().proto().global('os', 'system').mark().str('ls').tuple().reduce().stop().bytes();
    expectUserError(() => unpickle(bytes, { label: 'evil.pkl' }), 'evil.pkl', 'unsupported pickle construct: GLOBAL os.system');
    // The same through STACK_GLOBAL (protocol 4).
    const sg = Buffer.from([0x80, 0x04, 0x8c, 0x02, ...Buffer.from('os'), 0x8c, 0x06, ...Buffer.from('system'), 0x93, 0x2e]);
    expectUserError(() => unpickle(sg, { label: 'evil4.pkl' }), 'GLOBAL os.system');
    // builtins.eval, and torch globals that are not whitelisted.
    const ev = new PickleBuilder().proto().global('builtins', 'eval').stop().bytes();
    expectUserError(() => unpickle(ev, { label: 'x', globals: TORCH_GLOBALS }), 'GLOBAL builtins.eval');
  });

  it('whitelisted opaque globals become placeholders carrying their state', () => {
    const bytes = new PickleBuilder()
      .proto()
      .global('argparse', 'Namespace')
      .emptyTuple()
      .newobj()
      .emptyDict()
      .str('model')
      .str('vanillanet_5')
      .setitem()
      .build()
      .stop()
      .bytes();
    const v = unpickle(bytes, { label: 'ns', globals: new Map([['argparse.Namespace', opaqueGlobal('argparse.Namespace')]]) });
    expect(v).toBeInstanceOf(OpaqueObject);
    expect(((v as OpaqueObject).state as PickleDict).get('model')).toBe('vanillanet_5');
  });

  it('decodes numpy float scalars stored by training scripts', () => {
    // numpy.core.multiarray.scalar(numpy.dtype('f8', False, True), b'...') with BUILD state on the dtype.
    const p = new PickleBuilder().proto().global('numpy.core.multiarray', 'scalar');
    p.global('numpy', 'dtype').mark().str('f8').bool(false).bool(true).tuple().reduce();
    p.mark().int(3).str('<').raw(0x4e, 0x4e, 0x4e).int(-1).int(-1).int(0).tuple().build();
    const f = Buffer.alloc(8);
    f.writeDoubleLE(81.25);
    p.raw(0x43, 8, ...f)
      .raw(0x86)
      .reduce()
      .stop();
    expect(unpickle(p.bytes(), { label: 'np', globals: TORCH_GLOBALS })).toBe(81.25);
  });

  it('gives clear errors for truncated, corrupt and unsupported input', () => {
    const whole = hex(OBJ_P2);
    expectUserError(() => unpickle(whole.subarray(0, 40), { label: 'cut.pkl', globals: TORCH_GLOBALS }), 'cut.pkl', 'truncated');
    expectUserError(() => unpickle(Buffer.alloc(0), { label: 'empty.pkl' }), 'empty.pkl', 'truncated');
    expectUserError(() => unpickle(Buffer.from([0x80, 0x02, 0xff]), { label: 'bad.pkl' }), 'bad.pkl', 'unknown opcode 0xff');
    expectUserError(() => unpickle(Buffer.from([0x80, 0x02, 0x8f, 0x2e]), { label: 'set.pkl' }), 'opcode EMPTY_SET');
    expectUserError(() => unpickle(Buffer.from([0x80, 0x02, 0x2e]), { label: 'u.pkl' }), 'stack underflow');
    expectUserError(() => unpickle(Buffer.from([0x80, 0x02, 0x68, 0x05, 0x2e]), { label: 'm.pkl' }), 'memo entry 5 is missing');
    // A 4 GiB BINUNICODE length in a tiny file must not allocate anything.
    expectUserError(() => unpickle(Buffer.from([0x80, 0x02, 0x58, 0xff, 0xff, 0xff, 0xff]), { label: 'l.pkl' }), 'truncated');
    expectUserError(() => unpickle(Buffer.from([0x80, 0x02, 0x4b, 0x01, 0x51, 0x2e]), { label: 'pid.pkl' }), 'persistent id');
    // SETITEM on a list, BUILD on an int.
    expectUserError(() => unpickle(Buffer.from([0x80, 0x02, 0x5d, 0x4b, 0x01, 0x4b, 0x02, 0x73, 0x2e]), { label: 'x' }), 'SETITEM on list');
    expectUserError(() => unpickle(Buffer.from([0x80, 0x02, 0x4b, 0x01, 0x7d, 0x62, 0x2e]), { label: 'x' }), 'BUILD on int');
  });

  it('reads the text opcodes of protocol 0 (INT, LONG, FLOAT, PUT)', () => {
    // Hand-written protocol-0 text for [1, 12345678901234567890, -1.5, True].
    const text = Buffer.from('(lp0\nI1\naL12345678901234567890L\naF-1.5\naI01\na.', 'latin1');
    expect(unpickle(text, { label: 't' })).toEqual([1, 12345678901234567890n, -1.5, true]);
    // FLOAT's words (inf, nan) are looked up as own keys: an object's inherited names are refused, not pushed
    expect(unpickle(Buffer.from('Finf\n.', 'latin1'), { label: 't' })).toBe(Infinity);
    for (const word of ['toString', 'constructor', '__proto__'])
      expectUserError(() => unpickle(Buffer.from(`F${word}\n.`, 'latin1'), { label: 't' }), 'bad FLOAT literal');
  });
});
