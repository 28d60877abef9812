@_exported import WardenCore
