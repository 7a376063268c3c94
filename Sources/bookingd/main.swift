import BookingService
import DaemonKit

await DaemonRunner.main(name: BookingDaemon.name, build: BookingDaemon.services)
