import CalendarSync
import DaemonKit

await DaemonRunner.main(name: CalendarSyncDaemon.name, build: CalendarSyncDaemon.services)
