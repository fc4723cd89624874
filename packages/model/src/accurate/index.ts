export { loadAccurateScorer, readEncoderDir, type AccurateScorer, type AccurateOptions } from "./scorer.ts";
export { EncoderManifest, ENCODER_FILES, ENCODER_TAGS } from "./manifest.ts";
export { OffsetWordPiece, type OffsetEncoding } from "./offsetWordPiece.ts";
export { decodeNameSpans, filterNames, withPatternSpans, DEFAULT_NAME_FILTER, type NameFilter } from "./decode.ts";
