export { Tokenizer, TokenizerJSON, TOKENIZER_FORMAT, type Encoding, type BatchEncoding } from "./tokenizer.ts";
export { SPECIAL_TOKENS, PAD_ID, UNK_ID, CLS_ID, SEP_ID, MASK_ID, URL_ID, NUM_ID, EMOJI_ID, type SpecialToken } from "./specials.ts";
export { CASE_SHAPES, CASE_SHAPE_COUNT, foldText, unescapeHtml } from "./normalize.ts";
export { preTokenize, numberShape, type PreToken, type PreTokenKind } from "./pretokenize.ts";
export { TrainOptions } from "./train.ts";
export { continuesWord, WORD_CHAR } from "./words.ts";
