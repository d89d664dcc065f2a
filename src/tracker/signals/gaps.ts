import { capacityReason } from '../../capacity/overload.ts';
import { GAP_STAGING } from '../../dao/event-logs.ts';
import { type GapRow, readGapRange } from '../../dao/gaps.ts';
import { incidentsBetween } from '../../dao/incidents.ts';
import { isLate, lateReason } from '../../observations/gaps.ts';
import { vaultLog } from '../../vault/parts.ts';
import { GAPS_TABLE, tierLabel } from '../../vault/schema.ts';
import type { TrackerSignal, Visit } from '../signal.ts';

/** gaps/: one row per video of a staged gap, by the UTC day of `polled_at`. */
const GAPS_LOG = vaultLog({
  staging: GAP_STAGING,
  table: GAPS_TABLE,
  about: 'planned polls not taken on time, with the reason',
  read: readGapRange,
  at: (g) => g.polledAt,
  row: (g) =>
    g.videoIds.map((id) => ({
      video_id: id,
      due_at: g.dueAt,
      polled_at: g.polledAt,
      delay_s: BigInt(Math.round((g.polledAt - g.dueAt) / 1000)),
      reason: g.reason,
      taken: g.taken,
      tier: tierLabel(g.tier),
    })),
});

/**
 * Gaps: a poll served more than half an interval late (labelled with the quota or outage incident
 * that explains it, else `late`), or a video missing from the answer. Grouped by due time and tier.
 */
export const gapsSignal: TrackerSignal = {
  name: 'gaps',
  log: GAPS_LOG,
  docs: '`gaps/` — late polls (quota, outage, late) and missing videos (unavailable), by due time and tier',
  start(ctx) {
    const late = new Map<string, GapRow>();
    const unavailable = new Map<string, GapRow>();
    let now = 0;
    const group = (into: Map<string, GapRow>, v: Visit, taken: boolean, reason: GapRow['reason']) => {
      const key = `${v.video.dueMin}:${v.video.tier}`;
      const g = into.get(key) ?? {
        videoIds: [],
        tier: v.video.tier,
        dueAt: v.dueAt,
        polledAt: v.now,
        reason,
        taken,
      };
      g.videoIds.push(v.video.id);
      into.set(key, g);
    };
    return {
      visit(v) {
        now = v.now;
        if (!v.item) group(unavailable, v, false, 'unavailable');
        else if (isLate(v.dueAt, v.now, v.video.tier)) group(late, v, true, 'late');
      },
      async settle() {
        const rows = [...late.values()];
        if (rows.length === 0) return;
        const incidents = await incidentsBetween(ctx.pool, Math.min(...rows.map((g) => g.dueAt)), now);
        for (const g of rows) g.reason = capacityReason(lateReason(g.dueAt, now, incidents), ctx.capacity);
      },
      // The completion statement inserts them, each with its fenced videos only.
      completionRows: () => ({ gaps: [...late.values(), ...unavailable.values()] }),
      pending: () => false,
      async stage(_tx, fenced) {
        let n = 0;
        for (const g of [...late.values(), ...unavailable.values()])
          for (const id of g.videoIds) if (fenced.has(id)) n++;
        return n;
      },
    };
  },
};
