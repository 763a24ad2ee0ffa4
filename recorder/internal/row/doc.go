// Package row turns one consumed event into one row of the recorder's
// ClickHouse events table: the envelope fields, flattened columns auditors
// filter on, and the event JSON with secrets removed.
//
// What never reaches a row: raw response bodies from the executions topic,
// chunk data (a partial body cannot be masked), the Authorization,
// X-Amz-Security-Token and cookie headers, and any body or parameter the
// masking engine cannot parse (dropped, fail closed). What is kept is masked
// by the engine and capped.
package row
