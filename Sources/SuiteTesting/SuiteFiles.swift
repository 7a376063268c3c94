import Foundation

/// The configuration file of a suite under test, written one way for the in-process suites and
/// for the end-to-end tests' daemon processes: runtime and data under the file's own directory,
/// a short request timeout, the real production calendar, and a movable start of the clock.
public enum SuiteFiles {
    public static var repositoryRoot: String {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().path
    }

    /// notifyd's section for development: every message written under `<directory>/mail`.
    public static let developmentNotifications = """
        notifications:
          templates: \(repositoryRoot)/config/templates
          sender: {name: "Консультации", address: booking@example.com}
          manage_url: "http://127.0.0.1:8080/manage/{reference}"
          email: {transport: directory, directory: mail}
          sms: {enabled: true}
        """

    public static func configuration(consultants: [String], clockStart: String, minimumNoticeMinutes: Int, logLevel: String,
                                     notifications: String, extra: String) -> String {
        let consultants = consultants.map { "  - {id: \($0), name: Consultant \($0), email: \($0)@example.com}\n" }.joined()
        return """
            runtime_directory: run
            state_directory: lib
            log_level: \(logLevel)
            max_message_bytes: 65536
            requests:
              timeout_milliseconds: \(1500 * TestTimeouts.factor)
              attempts: 2
            calendar:
              time_zone: Europe/Moscow
              minimum_notice_minutes: \(minimumNoticeMinutes)
              production_calendar: \(repositoryRoot)/config/production-calendar.yaml
            consultants:
            \(consultants)clock:
              start: "\(clockStart)"
            \(notifications)
            \(extra)
            """
    }
}
