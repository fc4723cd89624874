/**
 * Special tokens, at fixed ids (the model and ONNX export rely on [PAD]=0 and on this order).
 * [SEP] is reserved for pair inputs; single-text encoding uses only [CLS].
 * [URL] replaces every link (links are noise and re-posts differ only in them), [NUM] stands for number shapes
 * too rare to be in the vocabulary, [EMOJI] for unknown pictographs (kept apart from [UNK]: emoji carry sentiment).
 */
export const SPECIAL_TOKENS = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", "[URL]", "[NUM]", "[EMOJI]"] as const;
export type SpecialToken = (typeof SPECIAL_TOKENS)[number];

export const PAD_ID = 0;
export const UNK_ID = 1;
export const CLS_ID = 2;
export const SEP_ID = 3;
export const MASK_ID = 4;
export const URL_ID = 5;
export const NUM_ID = 6;
export const EMOJI_ID = 7;

/** Prefix marking a word-internal subword piece (WordPiece convention). */
export const CONTINUATION = "##";
