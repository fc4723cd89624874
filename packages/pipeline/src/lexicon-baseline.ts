import { TOPIC_LABELS, type ModelOutput } from "@finsentry/schemas";
import type { TextScorer } from "@finsentry/model";

/**
 * LEXICON BASELINE — a stand-in used only when no trained model directory is available.
 * It exists so the pipeline runs end to end on any machine; the multitask ONNX model replaces it.
 */
const BEARISH =
  /\b(plunge[sd]?|plummet\w*|crash\w*|slump\w*|tumble[sd]?|sink[s]?|sank|fall[s]?|fell|drop(s|ped)?|down(grade[sd]?)?|miss(es|ed)?|loss(es)?|lawsuit|probe|fraud|bankrupt\w*|default\w*|layoffs?|cut[s]?|warn(s|ed|ing)?|weak\w*|bear\w*|sell-?off|recall\w*)\b/gi;
const BULLISH =
  /\b(surge[sd]?|soar\w*|jump(s|ed)?|rall(y|ies|ied)|rise[s]?|rose|gain(s|ed)?|beat(s)?|record|upgrade[sd]?|up|profit\w*|strong\w*|bull\w*|raise[sd]?|boost\w*|growth|outperform\w*)\b/gi;
const TOPIC_HINTS: [RegExp, (typeof TOPIC_LABELS)[number]][] = [
  [/\b(earnings|eps|revenue|quarter|q[1-4])\b/i, "Earnings"],
  [/\b(lawsuit|sec|probe|regulat\w*|court|fine[sd]?)\b/i, "Legal | Regulation"],
  [/\b(ceo|cfo|resign\w*|appoint\w*|steps down)\b/i, "Personnel Change"],
  [/\b(acquir\w*|merger|buyout|stake|deal)\b/i, "M&A | Investments"],
  [/\b(fed|ecb|rate hike|central bank|powell)\b/i, "Fed | Central Banks"],
  [/\b(oil|opec|crude|brent)\b/i, "Energy | Oil"],
  [/\b(dividend|payout)\b/i, "Dividend"],
  [/\b(ipo|listing|debut)\b/i, "IPO"],
  [/\b(upgrade[sd]?|downgrade[sd]?|price target|analyst)\b/i, "Analyst Update"],
  [/\b(shares|stock)\b/i, "Stock Movement"],
];
const ENTITY_PATTERNS: [RegExp, ModelOutput["entities"][number]["type"]][] = [
  [/\$[A-Z]{1,5}\b/g, "TICKER"],
  [/[$€£]\s?\d[\d,.]*\s?(?:bn|billion|m|million|k)?\b/gi, "MONEY"],
  [/[-+]?\d+(?:\.\d+)?\s?%/g, "PERCENT"],
];

export class LexiconBaselineScorer implements TextScorer {
  readonly version = "lexicon-baseline-0";

  async score(texts: string[]): Promise<ModelOutput[]> {
    return texts.map((text) => {
      const bear = text.match(BEARISH)?.length ?? 0;
      const bull = text.match(BULLISH)?.length ?? 0;
      const raw = (bull - bear) / Math.max(1, bull + bear);
      const label = raw < -0.2 ? "bearish" : raw > 0.2 ? "bullish" : "neutral";
      const conf = Math.min(0.9, 0.4 + 0.15 * Math.abs(bull - bear));
      const rest = (1 - conf) / 2;
      const probs = {
        bearish: label === "bearish" ? conf : rest,
        neutral: label === "neutral" ? conf : rest,
        bullish: label === "bullish" ? conf : rest,
      };
      const topicLabel = TOPIC_HINTS.find(([re]) => re.test(text))?.[1] ?? "General News | Opinion";
      const entities: ModelOutput["entities"] = [];
      for (const [re, type] of ENTITY_PATTERNS) {
        for (const match of text.matchAll(re)) {
          entities.push({ start: match.index!, end: match.index! + match[0].length, type, text: match[0] });
        }
      }
      return {
        sentiment: { label, score: probs.bullish - probs.bearish, confidence: conf, probs },
        topic: { label: topicLabel, index: TOPIC_LABELS.indexOf(topicLabel), confidence: 0.5 },
        entities,
      };
    });
  }

  async close(): Promise<void> {}
}
