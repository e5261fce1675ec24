<#
.SYNOPSIS
  Registers or removes the NURA Appliance Windows service (called by the Inno Setup installer).

.DESCRIPTION
  A PyInstaller console program does not speak the Windows service protocol itself, so the
  service is run by WinSW (nura-service.exe, shipped beside nura.exe), configured by the
  nura-service.xml written here: start `nura.exe serve`, restart it when it fails, keep logs
  in ProgramData\NURA\logs.

  install:   writes first-run settings (production, generated secrets) when missing, runs
             `nura.exe init` (its output, with the one-time admin password, goes to
             first-run.txt, readable by Administrators only), registers and starts the service.
  uninstall: stops and removes the service; the data directory is kept.

.EXAMPLE
  powershell -ExecutionPolicy Bypass -File service.ps1 -Action install -AppDir "C:\Program Files\NURA" -DataDir "C:\ProgramData\NURA"
#>
param(
  [Parameter(Mandatory = $true)][ValidateSet("install", "uninstall")][string]$Action,
  [Parameter(Mandatory = $true)][string]$AppDir,
  [Parameter(Mandatory = $true)][string]$DataDir,
  [int]$Port = 8080
)
$ErrorActionPreference = "Stop"
$nura = Join-Path $AppDir "nura.exe"
$wrapper = Join-Path $AppDir "nura-service.exe"
$config = Join-Path $AppDir "nura-service.xml"

function New-Secret {
  $bytes = New-Object byte[] 36
  [System.Security.Cryptography.RandomNumberGenerator]::Create().GetBytes($bytes)
  return [Convert]::ToBase64String($bytes).Replace("+", "-").Replace("/", "_").TrimEnd("=")
}

if ($Action -eq "uninstall") {
  if (Test-Path $wrapper) {
    & $wrapper stop $config 2>$null | Out-Null
    & $wrapper uninstall $config | Out-Null
  }
  Write-Output "NURA service removed; data kept in $DataDir"
  exit 0
}

New-Item -ItemType Directory -Force -Path $DataDir, (Join-Path $DataDir "logs") | Out-Null
$settings = Join-Path $DataDir "nura.toml"
if (-not (Test-Path $settings)) {
  @"
APP_ENV = "production"
NURA_HOST = "0.0.0.0"
NURA_PORT = $Port
ADMIN_SECRET_KEY = "$(New-Secret)"
API_KEY = "$(New-Secret)"
CORS_ORIGINS = ["http://localhost:$Port"]
"@ | Set-Content -Encoding UTF8 -Path $settings
}
# Only SYSTEM and Administrators may read the data (secrets, conversations).
icacls $DataDir /inheritance:r /grant:r "*S-1-5-18:(OI)(CI)F" "*S-1-5-32-544:(OI)(CI)F" | Out-Null

$firstRun = Join-Path $DataDir "first-run.txt"
$init = & $nura init --data-dir $DataDir 2>&1 | Out-String
$init += "`r`nAdmin: http://localhost:$Port/admin/`r`n"
Set-Content -Encoding UTF8 -Path $firstRun -Value $init

@"
<service>
  <id>nura</id>
  <name>NURA Appliance</name>
  <description>Arabic-first AI customer-support desk (API, widget and admin).</description>
  <executable>$nura</executable>
  <arguments>serve --data-dir "$DataDir"</arguments>
  <workingdirectory>$DataDir</workingdirectory>
  <env name="NURA_DATA_DIR" value="$DataDir"/>
  <startmode>Automatic</startmode>
  <onfailure action="restart" delay="5 sec"/>
  <onfailure action="restart" delay="30 sec"/>
  <resetfailure>1 hour</resetfailure>
  <stoptimeout>30 sec</stoptimeout>
  <logpath>$(Join-Path $DataDir "logs")</logpath>
  <log mode="roll-by-size"><sizeThreshold>10240</sizeThreshold><keepFiles>5</keepFiles></log>
</service>
"@ | Set-Content -Encoding UTF8 -Path $config

& $wrapper install $config | Out-Null
& $wrapper start $config | Out-Null
Write-Output $init
