import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ApiError, apiErrorFrom, isAlreadyExists, isConflict, isForbidden, isGone, isInvalid, isNotFound } from '../src/errors.js';

const status = (code: number, reason: string, message: string, details?: object) => ({
  kind: 'Status',
  apiVersion: 'v1',
  status: 'Failure',
  message,
  reason,
  code,
  ...(details ? { details } : {}),
});

describe('apiErrorFrom', () => {
  it('takes the reason from the Status, not the HTTP code: 409 is both Conflict and AlreadyExists', () => {
    const exists = apiErrorFrom(409, status(409, 'AlreadyExists', 'configmaps "a" already exists'));
    const conflict = apiErrorFrom(409, status(409, 'Conflict', 'the object has been modified'));
    assert.equal(exists.reason, 'AlreadyExists');
    assert.equal(isAlreadyExists(exists), true);
    assert.equal(isConflict(exists), false);
    assert.equal(conflict.reason, 'Conflict');
    assert.equal(isConflict(conflict), true);
    assert.equal(isAlreadyExists(conflict), false);
    assert.equal(exists.message, 'configmaps "a" already exists');
    assert.equal(exists.code, 409);
  });

  it('keeps field causes of an Invalid error', () => {
    const e = apiErrorFrom(
      422,
      status(422, 'Invalid', 'ConfigMap "Bad" is invalid', {
        causes: [
          { reason: 'FieldValueInvalid', message: 'Invalid value: "Bad"', field: 'metadata.name' },
          { type: 'FieldValueRequired', message: 'Required value' },
        ],
      }),
    );
    assert.ok(isInvalid(e));
    assert.deepEqual(e.causes, [
      { field: 'metadata.name', message: 'Invalid value: "Bad"', reason: 'FieldValueInvalid' },
      { message: 'Required value', reason: 'FieldValueRequired' },
    ]);
  });

  it('maps Expired to Gone, and falls back to the HTTP code when there is no Status', () => {
    assert.ok(isGone(apiErrorFrom(410, status(410, 'Expired', 'too old resource version: 1 (20)'))));
    assert.ok(isNotFound(apiErrorFrom(404, '404 page not found')));
    assert.ok(isForbidden(apiErrorFrom(403, undefined)));
    assert.equal(apiErrorFrom(418, 'teapot').reason, 'Unknown');
    assert.equal(apiErrorFrom(404, '404 page not found').message, '404 page not found');
    assert.equal(apiErrorFrom(503, undefined).message, 'the server responded with HTTP 503');
  });

  it('reads retry-after from the Status details or the header', () => {
    assert.equal(apiErrorFrom(429, status(429, 'TooManyRequests', 'slow down', { retryAfterSeconds: 3 })).retryAfterSeconds, 3);
    assert.equal(apiErrorFrom(429, 'busy', '7').retryAfterSeconds, 7);
    assert.equal(apiErrorFrom(500, 'oops').retryAfterSeconds, undefined);
  });

  it('is an Error and an ApiError, and guards reject other values', () => {
    const e = apiErrorFrom(404, status(404, 'NotFound', 'x'));
    assert.ok(e instanceof Error && e instanceof ApiError);
    assert.equal(isNotFound(new Error('NotFound')), false);
    assert.equal(isNotFound({ reason: 'NotFound' }), false);
    assert.equal(isNotFound(undefined), false);
  });
});
