import Foundation

/// One consultant's busy time from one source (a calendar connection), all of it: it replaces
/// whatever that source gave for the consultant before. An empty list clears it.
public struct BusyReplaceRequest: Codable, Sendable, Equatable {
    public var consultantId: String
    /// 1 to 64 letters, digits, `-`, `_`, `.` or `:`, e.g. `caldav:anna`.
    public var source: String
    public var intervals: [BusyIntervalBody]
    public init(consultantId: String, source: String, intervals: [BusyIntervalBody]) {
        self.consultantId = consultantId
        self.source = source
        self.intervals = intervals
    }
}

public struct BusyIntervalBody: Codable, Sendable, Equatable {
    public var start: Date
    public var end: Date
    /// The remote event it mirrors (UID, and the occurrence of a recurring one).
    public var eventId: String?
    /// Set in `busy` replies only.
    public var source: String?
    public var consultantId: String?
    public init(start: Date, end: Date, eventId: String? = nil, source: String? = nil, consultantId: String? = nil) {
        self.start = start
        self.end = end
        self.eventId = eventId
        self.source = source
        self.consultantId = consultantId
    }
}

public struct BusyReplaceReply: Codable, Sendable, Equatable {
    public var consultantId: String
    public var source: String
    /// Intervals now held from the source (past ones are dropped).
    public var count: Int
    /// Booked slots the new busy time (with the consultant's buffers) overlaps: nothing is
    /// cancelled, the caller reports them.
    public var conflicts: [BusyConflictBody]
    public init(consultantId: String, source: String, count: Int, conflicts: [BusyConflictBody]) {
        self.consultantId = consultantId
        self.source = source
        self.count = count
        self.conflicts = conflicts
    }
}

public struct BusyConflictBody: Codable, Sendable, Equatable {
    /// The booked slot's start.
    public var start: Date
    public var eventId: String?
    public init(start: Date, eventId: String?) {
        self.start = start
        self.eventId = eventId
    }
}

/// The busy time held for one consultant (or everyone), overlapping `from`...`to` (default: the
/// booking horizon).
public struct BusyRequest: Codable, Sendable, Equatable {
    public var consultantId: String?
    public var from: Date?
    public var to: Date?
    public init(consultantId: String? = nil, from: Date? = nil, to: Date? = nil) {
        self.consultantId = consultantId
        self.from = from
        self.to = to
    }
}

public struct BusyReply: Codable, Sendable, Equatable {
    public var intervals: [BusyIntervalBody]
    public init(intervals: [BusyIntervalBody]) { self.intervals = intervals }
}
