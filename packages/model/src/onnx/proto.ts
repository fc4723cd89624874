import protobuf from "protobufjs";

/**
 * The subset of onnx.proto (field numbers from onnx/onnx.proto, IR v8) needed to write an inference graph.
 * Kept as a protobufjs JSON descriptor so no .proto file or codegen step is needed at run time.
 */
const descriptor = {
  nested: {
    onnx: {
      nested: {
        ModelProto: {
          fields: {
            irVersion: { type: "int64", id: 1 },
            producerName: { type: "string", id: 2 },
            producerVersion: { type: "string", id: 3 },
            domain: { type: "string", id: 4 },
            modelVersion: { type: "int64", id: 5 },
            docString: { type: "string", id: 6 },
            graph: { type: "GraphProto", id: 7 },
            opsetImport: { rule: "repeated", type: "OperatorSetIdProto", id: 8 },
            metadataProps: { rule: "repeated", type: "StringStringEntryProto", id: 14 },
            // Read back from other exporters (PyTorch) so a decode → encode round trip keeps them.
            trainingInfo: { rule: "repeated", type: "bytes", id: 20 },
            functions: { rule: "repeated", type: "bytes", id: 25 },
          },
        },
        StringStringEntryProto: { fields: { key: { type: "string", id: 1 }, value: { type: "string", id: 2 } } },
        OperatorSetIdProto: { fields: { domain: { type: "string", id: 1 }, version: { type: "int64", id: 2 } } },
        GraphProto: {
          fields: {
            node: { rule: "repeated", type: "NodeProto", id: 1 },
            name: { type: "string", id: 2 },
            initializer: { rule: "repeated", type: "TensorProto", id: 5 },
            docString: { type: "string", id: 10 },
            input: { rule: "repeated", type: "ValueInfoProto", id: 11 },
            output: { rule: "repeated", type: "ValueInfoProto", id: 12 },
            valueInfo: { rule: "repeated", type: "ValueInfoProto", id: 13 },
            quantizationAnnotation: { rule: "repeated", type: "bytes", id: 14 },
            sparseInitializer: { rule: "repeated", type: "bytes", id: 15 },
            metadataProps: { rule: "repeated", type: "StringStringEntryProto", id: 16 },
          },
        },
        NodeProto: {
          fields: {
            input: { rule: "repeated", type: "string", id: 1 },
            output: { rule: "repeated", type: "string", id: 2 },
            name: { type: "string", id: 3 },
            opType: { type: "string", id: 4 },
            attribute: { rule: "repeated", type: "AttributeProto", id: 5 },
            docString: { type: "string", id: 6 },
            domain: { type: "string", id: 7 },
            overload: { type: "string", id: 8 },
            metadataProps: { rule: "repeated", type: "StringStringEntryProto", id: 9 },
          },
        },
        AttributeProto: {
          fields: {
            name: { type: "string", id: 1 },
            f: { type: "float", id: 2 },
            i: { type: "int64", id: 3 },
            s: { type: "bytes", id: 4 },
            t: { type: "TensorProto", id: 5 },
            g: { type: "GraphProto", id: 6 },
            floats: { rule: "repeated", type: "float", id: 7 },
            ints: { rule: "repeated", type: "int64", id: 8 },
            strings: { rule: "repeated", type: "bytes", id: 9 },
            tensors: { rule: "repeated", type: "TensorProto", id: 10 },
            graphs: { rule: "repeated", type: "GraphProto", id: 11 },
            docString: { type: "string", id: 13 },
            tp: { type: "TypeProto", id: 14 },
            typeProtos: { rule: "repeated", type: "TypeProto", id: 15 },
            type: { type: "int32", id: 20 },
            refAttrName: { type: "string", id: 21 },
            sparseTensor: { type: "bytes", id: 22 },
            sparseTensors: { rule: "repeated", type: "bytes", id: 23 },
          },
        },
        TensorProto: {
          fields: {
            dims: { rule: "repeated", type: "int64", id: 1 },
            dataType: { type: "int32", id: 2 },
            segment: { type: "bytes", id: 3 },
            floatData: { rule: "repeated", type: "float", id: 4 },
            int32Data: { rule: "repeated", type: "int32", id: 5 },
            stringData: { rule: "repeated", type: "bytes", id: 6 },
            int64Data: { rule: "repeated", type: "int64", id: 7 },
            name: { type: "string", id: 8 },
            rawData: { type: "bytes", id: 9 },
            doubleData: { rule: "repeated", type: "double", id: 10 },
            uint64Data: { rule: "repeated", type: "uint64", id: 11 },
            docString: { type: "string", id: 12 },
            externalData: { rule: "repeated", type: "StringStringEntryProto", id: 13 },
            dataLocation: { type: "int32", id: 14 },
            metadataProps: { rule: "repeated", type: "StringStringEntryProto", id: 16 },
          },
        },
        ValueInfoProto: {
          fields: {
            name: { type: "string", id: 1 },
            type: { type: "TypeProto", id: 2 },
            docString: { type: "string", id: 3 },
            metadataProps: { rule: "repeated", type: "StringStringEntryProto", id: 4 },
          },
        },
        TypeProto: {
          fields: {
            tensorType: { type: "TypeProtoTensor", id: 1 },
            // Sequence / map / optional / sparse types are kept as opaque bytes (a round trip preserves them).
            sequenceType: { type: "bytes", id: 4 },
            mapType: { type: "bytes", id: 5 },
            denotation: { type: "string", id: 6 },
            sparseTensorType: { type: "bytes", id: 8 },
            optionalType: { type: "bytes", id: 9 },
          },
        },
        TypeProtoTensor: { fields: { elemType: { type: "int32", id: 1 }, shape: { type: "TensorShapeProto", id: 2 } } },
        TensorShapeProto: { fields: { dim: { rule: "repeated", type: "Dimension", id: 1 } } },
        Dimension: {
          fields: { dimValue: { type: "int64", id: 1 }, dimParam: { type: "string", id: 2 }, denotation: { type: "string", id: 3 } },
        },
      },
    },
  },
};

const root = protobuf.Root.fromJSON(descriptor);
export const ModelProto = root.lookupType("onnx.ModelProto");
export const TensorProto = root.lookupType("onnx.TensorProto");
export const NodeProto = root.lookupType("onnx.NodeProto");
export const GraphProto = root.lookupType("onnx.GraphProto");

/** TensorProto.DataType values used here. */
export const DataType = { FLOAT: 1, UINT8: 2, INT8: 3, INT32: 6, INT64: 7, BOOL: 9 } as const;
/** AttributeProto.AttributeType values used here. */
export const AttrType = { FLOAT: 1, INT: 2, STRING: 3, TENSOR: 4, GRAPH: 5, FLOATS: 6, INTS: 7, STRINGS: 8 } as const;
