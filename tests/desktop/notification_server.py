#!/usr/bin/python3
"""A desktop notification server for the tests: owns org.freedesktop.Notifications on the
session bus and appends each Notify call to the file named by argv[1], one JSON object a line
(app, summary, body, expire_timeout). Debian's python3-dbus and python3-gi; stopped by pid."""

import json
import sys

import dbus
import dbus.service
from dbus.mainloop.glib import DBusGMainLoop
from gi.repository import GLib

IFACE = "org.freedesktop.Notifications"


class Server(dbus.service.Object):
    def __init__(self, bus, log):
        super().__init__(bus, "/org/freedesktop/Notifications")
        self.log = log
        self.last = 0

    @dbus.service.method(IFACE, in_signature="susssasa{sv}i", out_signature="u")
    def Notify(self, app, replaces, icon, summary, body, actions, hints, expire):
        self.last += 1
        record = {
            "app": str(app),
            "summary": str(summary),
            "body": str(body),
            "expire_timeout": int(expire),
            "urgency": int(hints.get("urgency", -1)),
        }
        self.log.write(json.dumps(record) + "\n")
        self.log.flush()
        return dbus.UInt32(self.last)

    @dbus.service.method(IFACE, out_signature="as")
    def GetCapabilities(self):
        return ["body"]

    @dbus.service.method(IFACE, out_signature="ssss")
    def GetServerInformation(self):
        return ("mfa-test", "mfa", "1", "1.2")


def main():
    DBusGMainLoop(set_as_default=True)
    log = open(sys.argv[1], "a", encoding="utf-8")
    bus = dbus.SessionBus()
    name = dbus.service.BusName(IFACE, bus, do_not_queue=True)
    Server(bus, log)
    print("ready", flush=True)
    GLib.MainLoop().run()
    del name


main()
