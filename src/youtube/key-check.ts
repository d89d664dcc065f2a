import { keyFingerprint } from '@pleiades/youtube-simulator/fingerprint';
import { QUOTA_COST } from '@pleiades/youtube-simulator/quota-costs';
import { YouTubeApiError } from '../errors/index.ts';
import { classify } from '../hydra/classify.ts';
import type { YouTubeClient } from './client.ts';

export interface KeyCheck {
  pool: string;
  fingerprint: string;
  ok: boolean;
  detail: string;
}

/** The probe: the cheapest call there is, and what it costs each key. */
export const KEY_PROBE = {
  method: 'videoCategories.list' as const,
  cost: QUOTA_COST['videoCategories.list'],
};

/**
 * Asks YouTube once per key whether it takes the key: `videoCategories.list?part=snippet&regionCode=US`,
 * which reads no video or channel and costs 1 unit of the key's shared 10,000-unit bucket (every Data
 * API read costs at least 1; search.list's own bucket is left alone). It goes straight to each key,
 * not through Hydra, because Hydra picks keys and this must try every one; the unit is not in Hydra's
 * count, an under-count of 1 unit a key per doctor run. A key over its quota or rate limit is valid.
 */
export async function checkKeys(pools: Record<string, string[]>, yt: YouTubeClient): Promise<KeyCheck[]> {
  const out: KeyCheck[] = [];
  for (const [pool, keys] of Object.entries(pools))
    for (const key of keys) {
      const fingerprint = keyFingerprint(key);
      try {
        await yt.videoCategoriesList(key, 'US');
        out.push({ pool, fingerprint, ok: true, detail: 'valid' });
      } catch (err) {
        const reason = err instanceof YouTubeApiError ? `${err.status} ${err.reason}` : (err as Error).name;
        const verdict = classify(err);
        const ok = verdict === 'quota' || verdict === 'rate';
        const detail =
          verdict === 'quota'
            ? 'valid (quota spent today)'
            : verdict === 'rate'
              ? 'valid (rate-limited just now)'
              : verdict === 'invalid'
                ? `rejected by YouTube (${reason})`
                : `could not be checked (${reason})`;
        out.push({ pool, fingerprint, ok, detail });
      }
    }
  return out;
}
