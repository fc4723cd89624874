"use client";

import type { Item } from "../lib/types";
import { sentimentClass } from "../lib/format";
import { ItemText, SentimentPill, Time, TopicChip } from "./ui";

/** One scored item as a dense feed row: sentiment bar, meta line, text with entity highlights. */
export function FeedItem({ item, fresh, attributions }: { item: Item; fresh?: boolean; attributions?: boolean }) {
  const o = item.output;
  return (
    <li className={fresh ? "feed-item fresh" : "feed-item"} data-testid="feed-item">
      <span className={`bar ${sentimentClass(o?.sentiment.label)}`} aria-hidden />
      <div className="grow">
        <div className="feed-meta">
          <span className="src">{item.source}</span>
          {item.stream ? <span className="faint">{item.stream}</span> : null}
          <Time iso={item.published_at} />
          <span className="right row gap-s">
            <TopicChip topic={o?.topic.label} confidence={o?.topic.confidence} />
            <SentimentPill label={o?.sentiment.label} score={o?.sentiment.score} confidence={o?.sentiment.confidence} />
          </span>
        </div>
        <ItemText text={item.text} output={o} clamp attributions={attributions} />
        {item.url ? (
          <a className="small" href={item.url} target="_blank" rel="noreferrer noopener">
            source ↗
          </a>
        ) : null}
      </div>
    </li>
  );
}

export function EntityLegend() {
  return (
    <div className="legend" aria-label="Entity colours">
      {["TICKER", "ORG", "PERSON", "LOCATION", "MONEY", "PERCENT"].map((t) => (
        <span key={t} className={`ent ent-${t}`}>
          {t.toLowerCase()}
        </span>
      ))}
    </div>
  );
}
