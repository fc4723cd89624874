"use client";

import { createContext, useCallback, useContext, useEffect, useMemo, useRef, useState, type ReactNode } from "react";
import { io, type Socket } from "socket.io-client";
import type { AlertEvent, Item } from "../lib/types";

export type LiveStatus = "connecting" | "live" | "offline";
/** A `training` socket event: TrainingProgressV1 (packages/schemas/src/training.ts), relayed by the API. */
export interface TrainingEvent {
  run_id: string;
  type?: "run.started" | "run.progress" | "run.finished";
  status?: string;
  phase?: string;
  epoch: number;
  step: number;
  total_steps?: number;
  losses: Record<string, number | null> | number[];
  eta_s?: number | null;
  [k: string]: unknown;
}

type Listener<T> = (v: T) => void;
interface LiveApi {
  status: LiveStatus;
  onAlert(fn: Listener<AlertEvent>): () => void;
  onItem(fn: Listener<Item>): () => void;
  onTraining(fn: Listener<TrainingEvent>): () => void;
  /** Joins extra rooms (e.g. `entity:TICKER:TSLA`) for as long as the caller is mounted. */
  join(rooms: string[]): () => void;
}

const LiveContext = createContext<LiveApi | null>(null);
const SINCE_KEY = "finsentry.lastAlertEvent";

/** One socket.io connection per tab; re-subscribes with `since` after every reconnect so no alert is missed. */
export function LiveProvider({ children }: { children: ReactNode }) {
  const [status, setStatus] = useState<LiveStatus>("connecting");
  const socketRef = useRef<Socket | null>(null);
  const alertL = useRef(new Set<Listener<AlertEvent>>());
  const itemL = useRef(new Set<Listener<Item>>());
  const trainL = useRef(new Set<Listener<TrainingEvent>>());
  const extraRooms = useRef(new Map<string, number>());
  const seen = useRef(new Set<string>());

  useEffect(() => {
    const socket = io({ path: "/socket.io", withCredentials: true, transports: ["websocket", "polling"], reconnectionDelayMax: 10_000 });
    socketRef.current = socket;
    const subscribe = () => {
      const since = sessionStorage.getItem(SINCE_KEY) ?? undefined;
      socket.emit("subscribe", { rooms: ["alerts", "items", ...extraRooms.current.keys()], ...(since ? { since } : {}) });
    };
    socket.on("connect", () => {
      setStatus("live");
      subscribe();
    });
    socket.on("disconnect", () => setStatus("offline"));
    socket.on("connect_error", () => setStatus("offline"));
    socket.on("alert", (ev: AlertEvent) => {
      if (seen.current.has(ev.event_id)) return;
      seen.current.add(ev.event_id);
      if (seen.current.size > 2000) seen.current = new Set([...seen.current].slice(-1000));
      sessionStorage.setItem(SINCE_KEY, ev.event_id);
      for (const fn of alertL.current) fn(ev);
    });
    socket.on("item", (it: Item) => {
      for (const fn of itemL.current) fn(it);
    });
    socket.on("training", (ev: TrainingEvent) => {
      for (const fn of trainL.current) fn(ev);
    });
    return () => {
      socket.close();
      socketRef.current = null;
    };
  }, []);

  const sub =
    <T,>(set: Set<Listener<T>>) =>
    (fn: Listener<T>) => {
      set.add(fn);
      return () => void set.delete(fn);
    };

  const join = useCallback((rooms: string[]) => {
    const fresh = rooms.filter((r) => !extraRooms.current.has(r));
    for (const r of rooms) extraRooms.current.set(r, (extraRooms.current.get(r) ?? 0) + 1);
    if (fresh.length && socketRef.current?.connected) socketRef.current.emit("subscribe", { rooms: fresh });
    return () => {
      for (const r of rooms) {
        const n = (extraRooms.current.get(r) ?? 1) - 1;
        if (n <= 0) extraRooms.current.delete(r);
        else extraRooms.current.set(r, n);
      }
    };
  }, []);

  const value = useMemo<LiveApi>(
    () => ({ status, onAlert: sub(alertL.current), onItem: sub(itemL.current), onTraining: sub(trainL.current), join }),
    [status, join],
  );
  return <LiveContext.Provider value={value}>{children}</LiveContext.Provider>;
}

export function useLive(): LiveApi {
  const v = useContext(LiveContext);
  if (!v) throw new Error("useLive outside LiveProvider");
  return v;
}

/** Calls `fn` for every alert event while mounted. */
export function useAlertEvents(fn: Listener<AlertEvent>) {
  const live = useLive();
  const ref = useRef(fn);
  ref.current = fn;
  useEffect(() => live.onAlert((e) => ref.current(e)), [live]);
}

export function useItemEvents(fn: Listener<Item>) {
  const live = useLive();
  const ref = useRef(fn);
  ref.current = fn;
  useEffect(() => live.onItem((e) => ref.current(e)), [live]);
}

export function useTrainingEvents(fn: Listener<TrainingEvent>) {
  const live = useLive();
  const ref = useRef(fn);
  ref.current = fn;
  useEffect(() => live.onTraining((e) => ref.current(e)), [live]);
  // Training progress goes to the `training` room only: joined while a listener is mounted.
  useEffect(() => live.join(["training"]), [live]);
}
