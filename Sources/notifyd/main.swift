import DaemonKit
import NotificationService

await DaemonRunner.main(name: NotificationDaemon.name, build: NotificationDaemon.services)
