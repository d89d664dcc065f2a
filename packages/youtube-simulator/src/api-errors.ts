/**
 * YouTube's error responses, body for body: `{ error: { code, message, errors: [{ message, domain,
 * reason, location?, locationType? }], status?, details? } }`. The `reason` of the first entry is what
 * clients (googleapis, Hydra) key on.
 */

export interface ApiErrorEntry {
  message: string;
  domain: string;
  reason: string;
  location?: string;
  locationType?: string;
}

export interface ApiError {
  status: number;
  body: {
    error: {
      code: number;
      message: string;
      errors: ApiErrorEntry[];
      status?: string;
      details?: unknown[];
    };
  };
}

const make = (
  status: number,
  message: string,
  entry: Omit<ApiErrorEntry, 'message'>,
  extra: { status?: string; details?: unknown[] } = {},
): ApiError => ({
  status,
  body: { error: { code: status, message, errors: [{ message, ...entry }], ...extra } },
});

const QUOTA_MESSAGE =
  'The request cannot be completed because you have exceeded your <a href="/youtube/v3/getting-started#quota">quota</a>.';

export const apiErrors = {
  quotaExceeded: () => make(403, QUOTA_MESSAGE, { domain: 'youtube.quota', reason: 'quotaExceeded' }),

  rateLimitExceeded: () =>
    make(403, 'Rate Limit Exceeded', { domain: 'usageLimits', reason: 'rateLimitExceeded' }),

  /** What Google answers for a key it does not know (400, ErrorInfo API_KEY_INVALID). */
  keyInvalid: () =>
    make(
      400,
      'API key not valid. Please pass a valid API key.',
      { domain: 'global', reason: 'badRequest' },
      {
        status: 'INVALID_ARGUMENT',
        details: [
          {
            '@type': 'type.googleapis.com/google.rpc.ErrorInfo',
            reason: 'API_KEY_INVALID',
            domain: 'googleapis.com',
            metadata: { service: 'youtube.googleapis.com' },
          },
          {
            '@type': 'type.googleapis.com/google.rpc.LocalizedMessage',
            locale: 'en-US',
            message: 'API key not valid. Please pass a valid API key.',
          },
        ],
      },
    ),

  keyMissing: () =>
    make(
      403,
      'The request is missing a valid API key.',
      { domain: 'global', reason: 'forbidden' },
      { status: 'PERMISSION_DENIED' },
    ),

  required: (param: string) =>
    make(
      400,
      `Required parameter: ${param}`,
      { domain: 'global', reason: 'required', location: param, locationType: 'parameter' },
      { status: 'INVALID_ARGUMENT' },
    ),

  invalidParameter: (param: string, message: string) =>
    make(
      400,
      message,
      { domain: 'global', reason: 'invalidParameter', location: param, locationType: 'parameter' },
      { status: 'INVALID_ARGUMENT' },
    ),

  outOfRange: (param: string, value: string, min: number, max: number) =>
    apiErrors.invalidParameter(
      param,
      `Invalid value '${value}'. Values must be within the range: [${min}, ${max}]`,
    ),

  unknownPart: (part: string) =>
    make(400, `'${part}'`, {
      domain: 'youtube.part',
      reason: 'unknownPart',
      location: 'part',
      locationType: 'parameter',
    }),

  missingFilter: (expected: string[]) =>
    make(400, `No filter selected. Expected one of: ${expected.join(', ')}`, {
      domain: 'youtube.parameter',
      reason: 'missingRequiredParameter',
      location: 'parameters.',
      locationType: 'other',
    }),

  invalidPageToken: () =>
    make(400, 'The request specifies an invalid page token.', {
      domain: 'youtube.parameter',
      reason: 'invalidPageToken',
      location: 'pageToken',
      locationType: 'parameter',
    }),

  invalidTime: (param: 'publishedAfter' | 'publishedBefore') =>
    make(400, `The <code>${param}</code> parameter value has an invalid format. Use RFC 3339 format.`, {
      domain: 'youtube.search',
      reason: param === 'publishedAfter' ? 'invalidPublishedAfterTime' : 'invalidPublishedBeforeTime',
      location: param,
      locationType: 'parameter',
    }),

  playlistNotFound: () =>
    make(
      404,
      "The playlist identified with the request's <code>playlistId</code> parameter cannot be found.",
      {
        domain: 'youtube.playlistItem',
        reason: 'playlistNotFound',
        location: 'playlistId',
        locationType: 'parameter',
      },
    ),

  notFound: () =>
    make(404, 'Method not found.', { domain: 'global', reason: 'notFound' }, { status: 'NOT_FOUND' }),

  backendError: () =>
    make(
      500,
      'Internal error encountered.',
      { domain: 'global', reason: 'backendError' },
      { status: 'INTERNAL' },
    ),

  unavailable: () =>
    make(
      503,
      'The service is currently unavailable.',
      { domain: 'global', reason: 'backendError' },
      { status: 'UNAVAILABLE' },
    ),
};

/** The reason an error is counted under in the simulator's stats (keyInvalid for the invalid-key 400). */
export function statsReason(e: ApiError): string {
  const first = e.body.error.errors[0]?.reason ?? 'unknown';
  if (first === 'badRequest' && e.body.error.details?.length) return 'keyInvalid';
  if (e.status === 503) return 'serviceUnavailable';
  return first;
}
