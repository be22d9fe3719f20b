import type { BatchStatus } from '../lifecycle.ts';
import type { BatchEndpoint, BatchError, BatchObject, FileObject, FilePurpose, RequestCounts } from '../types.ts';

/** Rows as the driver returns them, and their OpenAI objects. */
export interface FileRow {
  id: string;
  tenant_id: string;
  filename: string;
  purpose: string;
  bytes: number;
  created_at: Date;
  expires_at: Date;
}

export interface BatchRow {
  id: string;
  tenant_id: string;
  endpoint: string;
  input_file_id: string;
  completion_window: string;
  metadata: Record<string, string> | null;
  status: string;
  errors: BatchError[] | null;
  output_file_id: string | null;
  error_file_id: string | null;
  total: number;
  created_at: Date;
  in_progress_at: Date | null;
  expires_at: Date;
  finalizing_at: Date | null;
  completed_at: Date | null;
  failed_at: Date | null;
  expired_at: Date | null;
  cancelling_at: Date | null;
  cancelled_at: Date | null;
}

const secs = (d: Date) => Math.floor(d.getTime() / 1000);
const maybe = (d: Date | null) => (d ? secs(d) : null);

export function fileObject(r: FileRow): FileObject {
  return {
    id: r.id,
    object: 'file',
    bytes: r.bytes,
    created_at: secs(r.created_at),
    expires_at: secs(r.expires_at),
    filename: r.filename,
    purpose: r.purpose as FilePurpose,
    status: 'processed',
    status_details: null,
  };
}

export function batchObject(r: BatchRow, counts: RequestCounts): BatchObject {
  return {
    id: r.id,
    object: 'batch',
    endpoint: r.endpoint as BatchEndpoint,
    errors: r.errors && r.errors.length ? { object: 'list', data: r.errors } : null,
    input_file_id: r.input_file_id,
    completion_window: '24h',
    status: r.status as BatchStatus,
    output_file_id: r.output_file_id,
    error_file_id: r.error_file_id,
    created_at: secs(r.created_at),
    in_progress_at: maybe(r.in_progress_at),
    expires_at: secs(r.expires_at),
    finalizing_at: maybe(r.finalizing_at),
    completed_at: maybe(r.completed_at),
    failed_at: maybe(r.failed_at),
    expired_at: maybe(r.expired_at),
    cancelling_at: maybe(r.cancelling_at),
    cancelled_at: maybe(r.cancelled_at),
    request_counts: counts,
    metadata: r.metadata,
  };
}
