namespace SwanLab.Crawler.Configuration;

/// <summary>A setting is missing, malformed or contradicts another; the message says which and how to fix it (exit 2).</summary>
public sealed class SettingsException(string message) : Exception(message);
