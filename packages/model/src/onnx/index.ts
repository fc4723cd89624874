export { buildOnnxModel, ONNX_OPSET, ONNX_INPUT, ONNX_OUTPUTS, type ExportOptions } from "./graph.ts";
export { quantizeInt8, dequantizeInt8, int8WeightAxes, type Int8Tensor } from "./quantize.ts";
export { GraphBuilder } from "./builder.ts";
export {
  decodeOnnx,
  encodeOnnx,
  floatTensorData,
  opCounts,
  quantizeDynamicModel,
  quantizeDynamicOnnx,
  type DynamicQuantizeOptions,
  type DynamicQuantizeReport,
  type OnnxModel,
} from "./dynamic.ts";
