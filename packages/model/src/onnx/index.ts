export { buildOnnxModel, ONNX_OPSET, ONNX_INPUT, ONNX_OUTPUTS } from "./graph.ts";
export { GraphBuilder } from "./builder.ts";
