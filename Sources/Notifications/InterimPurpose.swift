// Interim copy of the Notifications API being written on branch wip-notif; removed at merge.
public enum MessagePurpose: String, Sendable, CaseIterable {
    case clientConfirmation = "client-confirmation", clientRescheduled = "client-rescheduled",
         clientCancelled = "client-cancelled", clientReminder = "client-reminder",
         consultantCreated = "consultant-created", consultantRescheduled = "consultant-rescheduled",
         consultantCancelled = "consultant-cancelled",
         teamCreated = "team-created", teamRescheduled = "team-rescheduled", teamCancelled = "team-cancelled"
}
