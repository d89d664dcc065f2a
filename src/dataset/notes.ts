/**
 * Dated changes in how YouTube counts what Pleiades records: a trend break at one of these dates is
 * YouTube's, not the video's. docs/dataset.md shows this table (a test keeps the two in step) and the
 * exports carry the notes of their date range in their metadata.
 */
export interface CountingNote {
  /** The day it took effect (UTC date; for a rollout, its first day). */
  date: string;
  /** What changed: views, likes, dislikes, subscribers or charts. */
  subject: 'views' | 'likes' | 'dislikes' | 'subscribers' | 'charts';
  /** The vault and export columns it touches. */
  columns: string[];
  note: string;
  source: string;
}

export const COUNTING_NOTES: CountingNote[] = [
  {
    date: '2019-09-02',
    subject: 'subscribers',
    columns: ['videos.channel_subscribers'],
    note:
      'Public subscriber counts over 1,000 are abbreviated to three significant digits, rounded down, on ' +
      'YouTube and in the Data API (rolled out through September 2019): channel_subscribers moves in steps.',
    source: 'https://stats.skywiki.org/wiki/YouTube_subscriber_count_abbreviations',
  },
  {
    date: '2021-12-13',
    subject: 'dislikes',
    columns: ['kaggle.dislikes'],
    note:
      'statistics.dislikeCount is no longer public in the Data API (announced 10 November 2021): the ' +
      "Kaggle export's dislikes column is always empty.",
    source: 'https://github.com/Anarios/return-youtube-dislike',
  },
  {
    date: '2025-03-31',
    subject: 'views',
    columns: ['metrics.views', 'kaggle.views'],
    note:
      'Shorts views count every start of play or replay, with no minimum watch time ' +
      '(videos.statistics.viewCount and channels.statistics.viewCount). The former count is "engaged ' +
      'views", in YouTube Analytics only. Shorts grow faster from this day: compare across it with care.',
    source: 'https://developers.google.com/youtube/v3/revision_history',
  },
  {
    date: '2025-07-21',
    subject: 'charts',
    columns: ['kaggle.trending_date'],
    note:
      'videos.list chart=mostPopular no longer returns the "Trending now" list (the Trending page was ' +
      "retired). Pleiades never used it: the Kaggle export's trending_date is the snapshot's date, not " +
      'a day on a trending list.',
    source: 'https://developers.google.com/youtube/v3/revision_history',
  },
  {
    date: '2026-08-27',
    subject: 'views',
    columns: ['metrics.views', 'kaggle.views'],
    note:
      'YouTube aligns public view counting for every format (long videos, live streams, Shorts): a view ' +
      'counts when playback starts (revision history entry of this date). Long videos may grow faster ' +
      'after it; the engaged views stay in YouTube Analytics only.',
    source: 'https://developers.google.com/youtube/analytics/revision_history',
  },
];

/** The notes dated within [from, to] (YYYY-MM-DD, inclusive; open ends when omitted). */
export const notesBetween = (from?: string, to?: string): CountingNote[] =>
  COUNTING_NOTES.filter((n) => (!from || n.date >= from) && (!to || n.date <= to));
