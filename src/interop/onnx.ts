/**
 * The subset of ONNX's protobuf schema (onnx/onnx.proto, proto2) that a CNN needs, declared in code with the
 * official field numbers, and encoded/decoded with protobufjs. Names are the .proto's own (snake_case), so a
 * reader can check every line against onnx.proto.
 *
 * We write IR version 7 with the default-domain opset 13: ONNX Runtime 1.8+ and every current converter read it,
 * and all the operators our deploy graphs need (Conv, Relu, MaxPool, AveragePool, GlobalAveragePool, Gather, Max,
 * Add, Transpose, Flatten, Gemm, Identity) have had their present semantics since opset 13 or earlier.
 */
import os from 'node:os';
import protobuf from 'protobufjs';

export const ONNX_IR_VERSION = 7;
export const ONNX_OPSET = 13;

/** TensorProto.DataType values we use. */
export const ONNX_FLOAT = 1;
export const ONNX_INT64 = 7;

/** AttributeProto.AttributeType values we use. */
export const ATTR = { FLOAT: 1, INT: 2, STRING: 3, FLOATS: 6, INTS: 7 } as const;

export interface OnnxAttribute {
  name: string;
  type: (typeof ATTR)[keyof typeof ATTR];
  f?: number;
  i?: number;
  s?: Uint8Array;
  floats?: number[];
  ints?: number[];
}

export interface OnnxNode {
  input: string[];
  output: string[];
  name: string;
  op_type: string;
  domain?: string;
  attribute: OnnxAttribute[];
  doc_string?: string;
}

export interface OnnxTensor {
  dims: number[];
  data_type: number;
  name: string;
  /** little-endian, fixed width, row-major */
  raw_data: Uint8Array;
}

export type OnnxDim = { dim_value: number } | { dim_param: string };

export interface OnnxValueInfo {
  name: string;
  type: { tensor_type: { elem_type: number; shape: { dim: OnnxDim[] } } };
  doc_string?: string;
}

export interface OnnxGraph {
  node: OnnxNode[];
  name: string;
  initializer: OnnxTensor[];
  doc_string?: string;
  input: OnnxValueInfo[];
  output: OnnxValueInfo[];
}

export interface OnnxModel {
  ir_version: number;
  opset_import: { domain: string; version: number }[];
  producer_name: string;
  producer_version: string;
  doc_string?: string;
  graph: OnnxGraph;
  metadata_props?: { key: string; value: string }[];
}

type FieldJson = { type: string; id: number; rule?: 'repeated'; options?: { packed: boolean } };
const f = (type: string, id: number): FieldJson => ({ type, id });
/** proto2 repeated scalars are unpacked unless the .proto says [packed = true] */
const rep = (type: string, id: number, packed = false): FieldJson => ({ type, id, rule: 'repeated', options: { packed } });
const msgs = (type: string, id: number): FieldJson => ({ type, id, rule: 'repeated' });

/** Field numbers copied from onnx/onnx.proto (IR version 7 era; unchanged since). */
const SCHEMA = {
  nested: {
    onnx: {
      nested: {
        AttributeProto: {
          fields: {
            name: f('string', 1),
            ref_attr_name: f('string', 21),
            doc_string: f('string', 13),
            type: f('int32', 20),
            f: f('float', 2),
            i: f('int64', 3),
            s: f('bytes', 4),
            t: f('TensorProto', 5),
            g: f('GraphProto', 6),
            floats: rep('float', 7),
            ints: rep('int64', 8),
            strings: rep('bytes', 9),
            tensors: msgs('TensorProto', 10),
            graphs: msgs('GraphProto', 11),
          },
        },
        ValueInfoProto: { fields: { name: f('string', 1), type: f('TypeProto', 2), doc_string: f('string', 3) } },
        NodeProto: {
          fields: {
            input: rep('string', 1),
            output: rep('string', 2),
            name: f('string', 3),
            op_type: f('string', 4),
            domain: f('string', 7),
            attribute: msgs('AttributeProto', 5),
            doc_string: f('string', 6),
          },
        },
        StringStringEntryProto: { fields: { key: f('string', 1), value: f('string', 2) } },
        ModelProto: {
          fields: {
            ir_version: f('int64', 1),
            opset_import: msgs('OperatorSetIdProto', 8),
            producer_name: f('string', 2),
            producer_version: f('string', 3),
            domain: f('string', 4),
            model_version: f('int64', 5),
            doc_string: f('string', 6),
            graph: f('GraphProto', 7),
            metadata_props: msgs('StringStringEntryProto', 14),
          },
        },
        GraphProto: {
          fields: {
            node: msgs('NodeProto', 1),
            name: f('string', 2),
            initializer: msgs('TensorProto', 5),
            doc_string: f('string', 10),
            input: msgs('ValueInfoProto', 11),
            output: msgs('ValueInfoProto', 12),
            value_info: msgs('ValueInfoProto', 13),
          },
        },
        TensorProto: {
          fields: {
            dims: rep('int64', 1),
            data_type: f('int32', 2),
            float_data: rep('float', 4, true),
            int32_data: rep('int32', 5, true),
            int64_data: rep('int64', 7, true),
            name: f('string', 8),
            doc_string: f('string', 12),
            raw_data: f('bytes', 9),
          },
        },
        TensorShapeProto: {
          fields: { dim: msgs('Dimension', 1) },
          nested: {
            Dimension: {
              oneofs: { value: { oneof: ['dim_value', 'dim_param'] } },
              fields: { dim_value: f('int64', 1), dim_param: f('string', 2), denotation: f('string', 3) },
            },
          },
        },
        TypeProto: {
          oneofs: { value: { oneof: ['tensor_type'] } },
          fields: { tensor_type: f('Tensor', 1), denotation: f('string', 6) },
          nested: { Tensor: { fields: { elem_type: f('int32', 1), shape: f('TensorShapeProto', 2) } } },
        },
        OperatorSetIdProto: { fields: { domain: f('string', 1), version: f('int64', 2) } },
      },
    },
  },
};

let modelType: protobuf.Type | null = null;
function ModelProto(): protobuf.Type {
  modelType ??= protobuf.Root.fromJSON(SCHEMA as protobuf.INamespace).lookupType('onnx.ModelProto');
  return modelType;
}

/** Serializes a model to the bytes of a .onnx file. */
export function encodeOnnxModel(model: OnnxModel): Uint8Array {
  const T = ModelProto();
  const err = T.verify(model);
  if (err) throw new Error(`internal: invalid ONNX model: ${err}`);
  return T.encode(T.fromObject(model)).finish();
}

/** Parses .onnx bytes (the subset above; other fields are skipped) into plain objects. */
export function decodeOnnxModel(bytes: Uint8Array): OnnxModel {
  const T = ModelProto();
  return T.toObject(T.decode(bytes), { longs: Number, bytes: Uint8Array as unknown as typeof String, defaults: false, arrays: true }) as OnnxModel;
}

// ---- builders ---------------------------------------------------------------------------------------------------

export const attrInt = (name: string, i: number): OnnxAttribute => ({ name, type: ATTR.INT, i });
export const attrInts = (name: string, ints: number[]): OnnxAttribute => ({ name, type: ATTR.INTS, ints });

const LITTLE_ENDIAN = os.endianness() === 'LE';

/** A float32 initializer (raw_data: ONNX requires little-endian). */
export function floatTensor(name: string, dims: number[], data: Float32Array): OnnxTensor {
  if (data.length !== dims.reduce((a, b) => a * b, 1)) throw new Error(`internal: ${name} has ${data.length} values for dims [${dims.join(', ')}]`);
  let raw: Uint8Array;
  if (LITTLE_ENDIAN) raw = new Uint8Array(data.buffer.slice(data.byteOffset, data.byteOffset + data.byteLength));
  else {
    raw = new Uint8Array(data.length * 4);
    const v = new DataView(raw.buffer);
    data.forEach((x, i) => v.setFloat32(i * 4, x, true));
  }
  return { name, dims, data_type: ONNX_FLOAT, raw_data: raw };
}

/** An int64 initializer (e.g. Gather indices). */
export function int64Tensor(name: string, dims: number[], data: readonly number[]): OnnxTensor {
  const raw = new Uint8Array(data.length * 8);
  const v = new DataView(raw.buffer);
  data.forEach((x, i) => v.setBigInt64(i * 8, BigInt(x), true));
  return { name, dims, data_type: ONNX_INT64, raw_data: raw };
}

/** A float32 tensor's name, element type and shape; a string dimension is symbolic (e.g. 'batch'). */
export function floatValueInfo(name: string, dims: (number | string)[]): OnnxValueInfo {
  return {
    name,
    type: { tensor_type: { elem_type: ONNX_FLOAT, shape: { dim: dims.map((d) => (typeof d === 'string' ? { dim_param: d } : { dim_value: d })) } } },
  };
}
