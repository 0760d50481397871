// Package collector is bex's native event store: a Collector records the
// calls it is attached to as FunctionLogs, the Go form of the reference
// runtime's Collector (logs, last, id, usage, clear).
//
// # Attaching
//
// A Collector is a vmspan.Sink. The engine attaches it to one call as a
// sink of the call's subtree (engine.WithCollector, which passes it in
// vmspan.StartConfig.Sinks), so that it receives exactly the events
// of that call's subtree: the root span, every traced span below it however
// deep, and the spans of nested engine calls made from host functions. One
// Collector may be attached to many calls, and one call may have several
// Collectors; each Collector keeps its own logs.
//
//	c := collector.New("triage")
//	defer c.Close()
//	out, err := eng.Call(ctx, "Triage", args, engine.WithCollector(c))
//	log := c.Last() // log.Calls lists every LLM attempt, log.Usage sums tokens
//
// A Collector turns the first start event whose ancestors it does not track
// (normally the root span of a call) into a new call, and every later event
// whose call stack holds that span into the same call. A Collector used as
// a tracer's sink therefore makes one log per span tree. A Collector
// attached both to a call and to a call nested in it receives each event of
// the inner call twice; it records them once, and the inner call is part of
// the outer call's log.
//
// # What Logs contains
//
// Logs, Last, ByID and Usage cover completed calls only: a call is complete
// when its root span ends, which happens before Engine.Call returns. A
// FunctionLog is an immutable snapshot. Events that arrive for a completed
// call later (a span that outlives its root, started by a goroutine the call
// left behind) are recorded too, and the next read returns a new snapshot
// that includes them.
//
// # Bounds
//
// A Collector keeps events only for the calls it tracks, and its memory is
// bounded by two limits: at most DefaultMaxLogs (10,000) completed logs and
// DefaultMaxEvents (1,000,000) retained events, both adjustable with
// WithMaxLogs and WithMaxEvents. When a limit is exceeded the oldest
// completed logs are evicted and counted (Dropped, Stats.DroppedLogs). When
// only calls in progress are left to hold the events, further events of
// those calls are not retained, but still update the logs (Spans, Calls,
// Usage, Result) and are counted in FunctionLog.EventsOmitted and
// Stats.OmittedEvents. Nothing is lost without being counted.
//
// Retained events are kept in a compact form: a span's record holds what
// its start and end events share (names, ids, stack, arguments, result,
// attempts) and each event only its id, time and tags, about 200 bytes per
// event in all for engine calls; FunctionLog.Events rebuilds them as
// vmspan.Events when a log is read. Events that differ from their span's
// other event in what the record shares, and set-tags events, are kept
// whole. A snapshot is kept only while its caller holds it (a weak
// pointer), so reading logs does not make a Collector hold more.
//
// Clear releases the completed logs; Close releases everything and makes
// the Collector ignore later events. Retained reports the events held by
// all Collectors of the process, which drops to zero once every Collector
// is closed. A FunctionLog already returned keeps its own events alive for
// as long as the caller holds it.
//
// # Concurrency
//
// All methods are safe for concurrent use. Each Collector has one mutex,
// held briefly by Emit and by the readers and never while taking another
// lock (the reference runtime held a collector's lock while taking the
// store's, an invitation to deadlock). Concurrent calls through one Collector
// contend on that mutex; calls without a Collector never touch it.
package collector
